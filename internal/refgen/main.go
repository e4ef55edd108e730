// Command refgen writes engine/observe/reference.json (observe.ReferenceData,
// embedded by engine/observe): the meaning of
// every output column (the comments of the row types' fields in
// engine/observe), the tables written outside engine/observe (the rollups
// queries/rollup declares, replay's packet_index and queries/enrich's
// addresses with their field comments),
// every event kind the engines emit (found in their code) and every PDU
// type (engine/pdu's Type constants). The column
// reference (docs/tables.md, `tmonbench query --schema`) is built from it
// by observe.Reference.
//
//	go run ./internal/refgen            # from the module root
//	go test ./engine/observe -run TestDocsTablesMD -update   # then docs/tables.md
//
// Its test fails when the committed file is not what it would write.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/queries/enrich"
	"github.com/tmonbench/tmonbench/queries/rollup"
	"github.com/tmonbench/tmonbench/replay"
)

// Out is the generated file, relative to the module root.
const Out = "engine/observe/reference.json"

func main() {
	root := flag.String("root", ".", "module root")
	flag.Parse()
	src, err := Generate(*root)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*root, Out), src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// pduType is one PDU type constant.
type pduType struct {
	value      int
	name, doc  string
	identifier string
}

// Generate returns the text of reference.json for the module at root:
// observe.ReferenceData as indented JSON.
func Generate(root string) ([]byte, error) {
	cols, err := columnDocs(filepath.Join(root, "engine", "observe"))
	if err != nil {
		return nil, err
	}
	kinds, err := eventKinds(root)
	if err != nil {
		return nil, err
	}
	pdus, err := pduTypes(filepath.Join(root, "engine", "pdu", "frame.go"))
	if err != nil {
		return nil, err
	}
	derived, err := derivedTables(root, cols)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	err = enc.Encode(observe.ReferenceData{ColumnDocs: cols, DerivedTables: derived, EventKinds: kinds, PDUTypes: pdus})
	return b.Bytes(), err
}

// derivedTables returns the rollup tables of queries/rollup (one entry per
// table rolled up), replay's packet_index and queries/enrich's addresses.
// Their column meanings come from docs, the field comments as parsed now
// (observe.columnDocs is the previous generation): a rollup column the raw
// table has keeps the raw table's meaning, packet_index's are
// replay.IndexEntry's comments, addresses' enrich.Address's.
func derivedTables(root string, docs map[string]string) ([]observe.DerivedTable, error) {
	var out []observe.DerivedTable
	for _, t := range rollup.Tables {
		raw := observe.TableNamed(t.Name)
		if raw == nil {
			return nil, fmt.Errorf("rollup table %s is not an engine/observe table", t.Name)
		}
		old := map[string]string{}
		for _, c := range raw.Columns() {
			old[c.Name] = c.Doc
		}
		cols := t.Columns()
		for i, c := range cols {
			if d, ok := old[c.Name]; ok && d == c.Doc {
				cols[i].Doc = docs[raw.Row.Name()+"."+c.Name]
			}
		}
		out = append(out, observe.DerivedTable{Names: t.Names(), Doc: t.Doc(), Partition: t.PartitionKeys(), Columns: cols})
	}
	replayDocs, err := columnDocs(filepath.Join(root, "replay"))
	if err != nil {
		return nil, err
	}
	row := reflect.TypeOf(replay.IndexEntry{})
	cols := (&observe.Table{Name: replay.TablePacketIndex, Row: row}).Columns()
	for i, c := range cols {
		cols[i].Doc = replayDocs[row.Name()+"."+c.Name]
	}
	out = append(out, observe.DerivedTable{Names: []string{replay.TablePacketIndex}, Doc: replay.PacketIndexDoc, Columns: cols})
	enrichDocs, err := columnDocs(filepath.Join(root, "queries", "enrich"))
	if err != nil {
		return nil, err
	}
	row = reflect.TypeOf(enrich.Address{})
	cols = (&observe.Table{Name: enrich.Table, Row: row}).Columns()
	for i, c := range cols {
		cols[i].Doc = enrichDocs[row.Name()+"."+c.Name]
	}
	out = append(out, observe.DerivedTable{Names: []string{enrich.Table}, Doc: enrich.TableDoc, Columns: cols})
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// oneLine joins a comment's lines into one sentence.
func oneLine(cg ...*ast.CommentGroup) string {
	var parts []string
	for _, g := range cg {
		if g != nil {
			if t := strings.Join(strings.Fields(g.Text()), " "); t != "" {
				parts = append(parts, t)
			}
		}
	}
	return strings.Join(parts, " ")
}

// columnDoc is a field's doc as a column's meaning: without the Go field
// name a doc comment opens with by Go's convention ("HandshakeRTTMs is
// Karn-safe: ..." reads "Karn-safe: ..."), a name the tables never show.
func columnDoc(field, doc string) string {
	if rest, ok := strings.CutPrefix(doc, field+" is "); ok && rest != "" {
		return rest
	}
	return doc
}

// columnDocs reads the row types of engine/observe: for each field with a
// parquet tag, its doc and line comments. A server_X (or X_hi, max) field
// without a comment next to a documented client_X says so. The columns of
// an embedded struct of the package (observe.OnewayKey) are documented
// under the embedding row type too, as parquet-go flattens them into it.
func columnDocs(dir string) (map[string]string, error) {
	fset := token.NewFileSet()
	docs := map[string]string{}
	embeds := map[string][]string{} // row type -> the struct types it embeds
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "_gen.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return false
			}
			byCol := map[string]string{}
			var order []string
			for _, fld := range st.Fields.List {
				if id, ok := fld.Type.(*ast.Ident); ok && len(fld.Names) == 0 {
					embeds[ts.Name.Name] = append(embeds[ts.Name.Name], id.Name)
				}
				if fld.Tag == nil || len(fld.Names) == 0 {
					continue
				}
				tag, _ := strconv.Unquote(fld.Tag.Value)
				pq := tagValue(tag, "parquet")
				if pq == "" || pq == "-" {
					continue
				}
				col, _, _ := strings.Cut(pq, ",")
				byCol[col] = columnDoc(fld.Names[0].Name, oneLine(fld.Doc, fld.Comment))
				order = append(order, col)
			}
			for _, col := range order {
				d := byCol[col]
				if d == "" {
					d = mirrored(col, byCol)
				}
				docs[ts.Name.Name+"."+col] = d
			}
			return false
		})
	}
	for row, types := range embeds {
		for _, typ := range types {
			for key, d := range docs {
				if col, ok := strings.CutPrefix(key, typ+"."); ok {
					docs[row+"."+col] = d
				}
			}
		}
	}
	return docs, nil
}

// mirrored documents a column by its documented twin: server_x by
// client_x ("the server's"), recv_x by send_x.
func mirrored(col string, byCol map[string]string) string {
	for _, p := range [][3]string{{"server_", "client_", "the server's, as "}, {"recv_", "send_", "at to_hop, as "}} {
		if rest, ok := strings.CutPrefix(col, p[0]); ok && byCol[p[1]+rest] != "" {
			return p[2] + "`" + p[1] + rest + "`"
		}
	}
	return ""
}

func tagValue(tag, key string) string {
	return reflectStructTag(tag).get(key)
}

// reflectStructTag parses a struct tag like reflect.StructTag.Get.
type reflectStructTag string

func (t reflectStructTag) get(key string) string {
	m := regexp.MustCompile(key + `:"([^"]*)"`).FindStringSubmatch(string(t))
	if m == nil {
		return ""
	}
	return m[1]
}

// kindRE is what an event kind looks like: snake_case with an underscore.
var kindRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)+$`)

// eventKinds finds the event kinds emitted by the code under engine/,
// live/, replay/ and cmd/: the kind argument of calls to functions named
// *event / *Event, the Kind field of composite literals, and the strings
// of variables named *Kinds.
func eventKinds(root string) ([]observe.EventKind, error) {
	found := map[string]*observe.EventKind{}
	add := func(kind, sev, source, msg string) {
		msg = pkt.Nouns(2, msg) // the plural of the pkt.Nouns markers ("packet[s]": "packets")
		e := found[kind]
		if e == nil {
			found[kind] = &observe.EventKind{Kind: kind, Severity: sev, Source: source, Message: msg}
			return
		}
		if sev != "" && e.Severity != sev && !strings.Contains(e.Severity, sev) {
			if e.Severity == "" {
				e.Severity = sev
			} else {
				e.Severity += "/" + sev
			}
		}
		if !strings.Contains(e.Source, source) {
			e.Source += ", " + source
		}
		if e.Message == "" {
			e.Message = msg
		}
	}
	if err := findReturnedMessages(root); err != nil {
		return nil, err
	}
	for _, top := range []string{"engine", "live", "replay", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "_gen.go") {
				return err
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			if err != nil {
				return err
			}
			clear(localMessages)
			clear(localSeverities)
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			source := filepath.ToSlash(rel)
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					// msg := fmt.Sprintf(...) or msg := c.keyMismatch(...)
					// before the event call that passes msg
					if len(n.Lhs) == 1 && len(n.Rhs) == 1 {
						if id, ok := n.Lhs[0].(*ast.Ident); ok {
							if sev := namedSeverity(n.Rhs); sev != "" {
								// sev := observe.SevInfo; if ... { sev = observe.SevWarning }
								if old := localSeverities[id.Name]; old != "" && n.Tok == token.ASSIGN && !strings.Contains(old, sev) {
									sev = old + "/" + sev
								}
								localSeverities[id.Name] = sev
							} else if n.Tok == token.DEFINE {
								localMessages[id.Name] = message(n.Rhs)
							}
						}
					}
				case *ast.CallExpr:
					callKinds(n, source, add)
				case *ast.CompositeLit:
					var kind, sev, msg string
					// positional: {observe.SevInfo, "kind", fmt.Sprintf(...)}
					for i, e := range n.Elts {
						if s, ok := stringLit(e); ok && kindRE.MatchString(s) && i > 0 && namedSeverity(n.Elts[:i]) != "" {
							kind, sev, msg = s, namedSeverity(n.Elts[:i]), message(n.Elts[i+1:])
							break
						}
					}
					for _, e := range n.Elts {
						kv, ok := e.(*ast.KeyValueExpr)
						if !ok {
							continue
						}
						switch key, _ := kv.Key.(*ast.Ident); {
						case key == nil:
						case key.Name == "Kind", key.Name == "kind": // kind: engine/probe's counter table
							if s, ok := stringLit(kv.Value); ok && kindRE.MatchString(s) {
								kind = s
							}
						case key.Name == "Severity", key.Name == "sev":
							sev = severity([]ast.Expr{kv.Value})
						case key.Name == "Message", key.Name == "what":
							msg = message([]ast.Expr{kv.Value})
						}
					}
					if kind != "" {
						add(kind, sev, source, msg)
					}
				case *ast.ValueSpec:
					for i, name := range n.Names {
						if i >= len(n.Values) {
							continue
						}
						// Event* string constants (engine/pdu): the comment
						// says the severity first ("SevWarning: ...").
						if s, ok := stringLit(n.Values[i]); ok && strings.HasPrefix(name.Name, "Event") && kindRE.MatchString(s) {
							doc := oneLine(n.Comment)
							sev, rest, _ := strings.Cut(doc, ": ")
							add(s, severity([]ast.Expr{ast.NewIdent(sev)}), source, rest)
							continue
						}
						// Unexported *Kinds arrays (engine/probe limitedKinds).
						if ast.IsExported(name.Name) || !strings.HasSuffix(name.Name, "Kinds") {
							continue
						}
						if cl, ok := n.Values[i].(*ast.CompositeLit); ok {
							for _, e := range cl.Elts {
								if s, ok := stringLit(e); ok && kindRE.MatchString(s) {
									add(s, "", source, "")
								}
							}
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	var out []observe.EventKind
	for _, k := range sortedKeys(found) {
		out = append(out, *found[k])
	}
	return out, nil
}

// callKinds adds the kinds a call names: a *_totals kind as the first
// string argument of a call that is no event call (addSource(p,
// "tcp_totals", ...)), and an event call's kind (a string literal or an
// indexed kinds array), severity and message.
func callKinds(n *ast.CallExpr, source string, add func(kind, sev, source, msg string)) {
	name := strings.ToLower(funcName(n.Fun))
	isEvent := strings.HasSuffix(name, "event") || strings.HasSuffix(name, "eventcount")
	// The *_totals events of engine/probe (counters.go): one per analyser
	// at the end, "name=value ..." of its Stats (addSource(p,
	// "tcp_totals", ...): the kind is the first string argument).
	for _, a := range n.Args {
		if isEvent {
			break // an event call: its message is read below
		}
		if s, ok := stringLit(a); ok {
			if kindRE.MatchString(s) && strings.HasSuffix(s, "_totals") {
				add(s, "info", source, "every counter of the "+strings.TrimSuffix(s, "_totals")+" stage at the end of the run: name=value ...")
			}
			break
		}
	}
	if isEvent {
		if id, ok := firstIdent(n.Args); ok && indexedKinds[id] != "" {
			add(indexedKinds[id], namedSeverity(n.Args), source, message(n.Args[1:]))
		}
		for i, a := range n.Args {
			if s, ok := stringLit(a); ok && kindRE.MatchString(s) {
				sev := namedSeverity(n.Args) // event(0, pdu.SevWarning, ...): 0 is the probe
				if sev == "" {
					sev = severity(n.Args)
				}
				add(s, sev, source, message(n.Args[i+1:]))
				break
			}
		}
	}
}

func funcName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

// namedSeverity is severity of the first argument named Sev*, ignoring
// integer literals (a time of 0 passed before the severity).
func namedSeverity(args []ast.Expr) string {
	for _, a := range args {
		if strings.Contains(funcName(a), "Sev") {
			return severity([]ast.Expr{a})
		}
	}
	return ""
}

// severity finds a severity among call arguments: a Sev* constant or a
// small integer literal (0 info, 1 warning, 2 error).
func severity(args []ast.Expr) string {
	for _, a := range args {
		if id, ok := a.(*ast.Ident); ok && localSeverities[id.Name] != "" {
			return localSeverities[id.Name]
		}
		switch {
		case strings.HasSuffix(funcName(a), "SevInfo"):
			return "info"
		case strings.HasSuffix(funcName(a), "SevWarning"):
			return "warning"
		case strings.HasSuffix(funcName(a), "SevError"):
			return "error"
		}
		if bl, ok := a.(*ast.BasicLit); ok && bl.Kind == token.INT {
			switch bl.Value {
			case "0":
				return "info"
			case "1":
				return "warning"
			case "2":
				return "error"
			}
		}
	}
	return ""
}

// message is the first string literal (or fmt.Sprintf format) among args,
// and a string concatenation's literal parts, "…" for the rest.
func message(args []ast.Expr) string {
	for _, a := range args {
		if s, ok := stringLit(a); ok {
			return s
		}
		if c, ok := a.(*ast.CallExpr); ok && (funcName(c.Fun) == "Error" && len(c.Args) == 0 || funcName(c.Fun) == "Message" && len(c.Args) == 1) {
			return "the error's text" // err.Error(), or pkt.Message(err): the text without its package's prefix
		}
		if id, ok := a.(*ast.Ident); ok && localMessages[id.Name] != "" {
			return localMessages[id.Name]
		}
		if c, ok := a.(*ast.CallExpr); ok && returnedMessages[funcName(c.Fun)] != "" {
			return returnedMessages[funcName(c.Fun)]
		}
		if c, ok := a.(*ast.CallExpr); ok && funcName(c.Fun) == "Nouns" && len(c.Args) == 2 {
			return message(c.Args[1:]) // pkt.Nouns(n, msg): msg's markers, resolved in the plural by add
		}
		if c, ok := a.(*ast.CallExpr); ok && funcName(c.Fun) == "Sprintf" && len(c.Args) > 0 {
			if s := message(c.Args[:1]); s != "" { // a literal format, or fmt.Sprintf(pkt.Nouns(n, format), ...)
				return s
			}
		}
		if b, ok := a.(*ast.BinaryExpr); ok && b.Op == token.ADD {
			l, r := message([]ast.Expr{b.X}), message([]ast.Expr{b.Y})
			if l == "" {
				l = "…"
			}
			if r == "" {
				r = "…"
			}
			return l + r
		}
	}
	return ""
}

// localMessages are the messages assigned to the variables of the file
// being read (message of the right-hand side), for an event call that
// passes the message in a variable; returnedMessages are the messages
// functions build and return (a message function of their own, such as
// the collector's keyMismatch), by function name.
var localMessages, returnedMessages = map[string]string{}, map[string]string{}

// localSeverities are the severities assigned to the variables of the
// file being read ("info/warning" for one set to either).
var localSeverities = map[string]string{}

// findReturnedMessages fills returnedMessages: the functions under engine/
// (String and Error methods aside) whose body ends in return
// fmt.Sprintf("...", ...) and return a string (config.Config.InEffect:
// config_switch_start's message).
func findReturnedMessages(root string) error {
	return filepath.WalkDir(filepath.Join(root, "engine"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		indexKinds(f)
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil || fd.Name.Name == "String" || fd.Name.Name == "Error" || len(fd.Body.List) == 0 || fd.Type.Results == nil || len(fd.Type.Results.List) != 1 {
				continue
			}
			if r, ok := fd.Body.List[len(fd.Body.List)-1].(*ast.ReturnStmt); ok && len(r.Results) == 1 {
				if c, ok := r.Results[0].(*ast.CallExpr); ok && funcName(c.Fun) == "Sprintf" {
					returnedMessages[fd.Name.Name] = message(r.Results)
				}
			}
		}
		return nil
	})
}

// indexedKinds maps the constants that index an unexported *Kinds array
// of event kinds (engine/probe's evIncomplete... and limitedKinds) to
// their kind, for calls that pass the index (limitedEvent(evTimeJump,
// ...)). indexKinds fills it from one file holding both.
var indexedKinds = map[string]string{}

func indexKinds(f *ast.File) {
	consts := map[int]string{} // iota value -> constant name
	var kinds []string
	valueSpecs(f, func(tok token.Token, i int, vs *ast.ValueSpec) {
		if tok == token.CONST && len(vs.Names) == 1 && (len(vs.Values) == 0 || isIota(vs.Values[0])) && (i > 0 || len(vs.Values) == 1) {
			consts[i] = vs.Names[0].Name
		}
		if tok == token.VAR && len(vs.Names) == 1 && len(vs.Values) == 1 && strings.HasSuffix(vs.Names[0].Name, "Kinds") {
			if cl, ok := vs.Values[0].(*ast.CompositeLit); ok {
				for _, e := range cl.Elts {
					k, _ := stringLit(e)
					kinds = append(kinds, k)
				}
			}
		}
	})
	for i, k := range kinds {
		if name, ok := consts[i]; ok && kindRE.MatchString(k) {
			indexedKinds[name] = k
		}
	}
}

// firstIdent returns the name of args[0] when it is a plain identifier.
func firstIdent(args []ast.Expr) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	id, ok := args[0].(*ast.Ident)
	if !ok {
		return "", false
	}
	return id.Name, true
}

// valueSpecs calls fn with every const and var spec of f: its token, its
// index in its declaration and the spec.
func valueSpecs(f *ast.File, fn func(tok token.Token, i int, vs *ast.ValueSpec)) {
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for i, spec := range gd.Specs {
			if vs, ok := spec.(*ast.ValueSpec); ok {
				fn(gd.Tok, i, vs)
			}
		}
	}
}

func isIota(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "iota"
}

// pduTypes reads the Type constants of engine/pdu/frame.go with their
// comments, and their names from typeNames.
func pduTypes(path string) ([]observe.PDUType, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var names []string
	var types []pduType
	valueSpecs(f, func(_ token.Token, _ int, vs *ast.ValueSpec) {
		for i, n := range vs.Names {
			if n.Name == "typeNames" && i < len(vs.Values) {
				if cl, ok := vs.Values[i].(*ast.CompositeLit); ok {
					for _, e := range cl.Elts {
						s, _ := stringLit(e)
						names = append(names, s)
					}
				}
			}
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Type" && n.IsExported() && i < len(vs.Values) {
				if bl, ok := vs.Values[i].(*ast.BasicLit); ok {
					v, _ := strconv.Atoi(bl.Value)
					types = append(types, pduType{value: v, identifier: n.Name, doc: oneLine(vs.Doc, vs.Comment)})
				}
			}
		}
	})
	for i := range types {
		if types[i].value < len(names) {
			types[i].name = names[types[i].value]
		}
		if types[i].name == "" {
			return nil, fmt.Errorf("%s: %s has no name in typeNames", path, types[i].identifier)
		}
	}
	sort.Slice(types, func(i, j int) bool { return types[i].value < types[j].value })
	out := make([]observe.PDUType, len(types))
	for i, t := range types {
		out[i] = observe.PDUType{Value: uint8(t.value), Name: t.name, Doc: t.doc}
	}
	return out, nil
}
