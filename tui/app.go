package tui

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"golang.org/x/term"

	"github.com/tmonbench/tmonbench/queries"
)

// Options configure a TUI.
type Options struct {
	// Out is the output folder of a replay or collector (--out).
	Out string
	// Keys remaps actions to keys (the config's tui.keys), e.g.
	// {"quit": ["x"]}; see KeyMap.Actions.
	Keys map[string][]string
	// Renderer draws the styles; nil: one for Output, which detects the
	// terminal's colours and honours NO_COLOR.
	Renderer *lipgloss.Renderer
	// Output is the terminal the TUI draws on (its colours are detected
	// there); nil: os.Stdout.
	Output *os.File
	// Live, when set, is polled every second for the status line and the
	// overview (tmonbench live --tui, replay --speed realtime --tui).
	Live Live
	// IntervalS is the run's interval_s (its config), said on a live
	// overview before any flow is written; 0: taken from the snapshots'
	// closed intervals.
	IntervalS float64
	// Notice is shown on the status line when the TUI opens, until the
	// first key: what the command warned about before the TUI took the
	// terminal (a live capture's offloads), "" none.
	Notice string
	// Empty says why tables are empty (the command's, as `tmonbench
	// query` prints them), read from db, the TUI's database of Out: a
	// table screen without a row shows its table's reason in place of
	// "(no rows)". It is called when the TUI opens, and again (off the
	// event loop) when the state of the run writing Out changes or another
	// run replaces it; nil: no reasons.
	Empty func(db *sql.DB) queries.EmptyReasons
}

// env is what every screen shares: the database, keys, styles, the time
// brush and the queries in flight. It belongs to one Model.
type env struct {
	db       *sql.DB
	out      string
	openErr  error
	keys     KeyMap
	st       *styles
	brush    brush
	brushGen int // incremented when the brush changes: screens reload
	nextID   int
	inflight map[int]context.CancelFunc
	owner    map[int]int // request id -> id of the screen that asked (query's sid), for the requests in flight
	status   string
	errMsg   string
	empty    queries.EmptyReasons // why tables are empty (Options.Empty)
	reasons  func(*sql.DB) queries.EmptyReasons
	emptySig string           // the run state empty was asked for (runSig)
	run      queries.RunState // the run writing out, as the last check saw it (emptyCheck)
	emptyGen int              // incremented at each ask of reasons (emptyCheck)
	live     Live
	snap     *LiveStatus // the latest snapshot of a live run (nil offline)
	liveHist liveHistory
	livePoll time.Duration // how often Live is polled (a second; shorter in tests)
	tables   int           // tables holding a part in out when the database was opened (partTables)
	dated    bool          // the output spans more than one UTC day: times carry their date (spanDated)
	spanNs   int64         // snapshot time of the last span read of a live run (liveSpan)
	spanDone bool          // the span was read after the live run ended
	runKey   string        // the run the database was opened on (queries.RunID), "" none
	// dbDir is the folder the database's views read (queries.State's
	// Dir when it was opened): a running replay's staging folder inside
	// out, or out
	dbDir string
	// watch tells whether the output's tables changed (followOutput);
	// watchTables are the tables with parts it saw when the screens last
	// followed them; followDue a change not yet followed.
	watch       outputWatch
	watchTables []string
	watchLayout []string // the tables' partition depths then (outputWatch.layout)
	followDue   bool
	outPoll     time.Duration // how often the output is checked for a new run (outputPoll; 0 in tests)
	ivS         float64       // the run's interval_s (Options.IntervalS), 0 unknown
	reopenNs    int64         // snapshot time of the last check for new tables
	// the engines' latest rows (LiveStatus.Recent) in DuckDB's live_*
	// tables: liveReady once loaded into the open database, liveRows the
	// snapshot's RecentRows they hold, liveLoading while a load runs
	liveReady, liveLoading bool
	liveRows               uint64
}

// brush is the time range selected on the overview's throughput strip, in
// Unix ns; zero: the whole capture.
type brush struct{ lo, hi int64 }

func (b brush) active() bool { return b.hi > b.lo }

// text says the brushed range: "brush 2026-11-29 14:57:38.927849 –
// 14:57:40.519131" (the end's day left out when the same), short without
// the day when both ends are on it (a table's info line at 80 columns).
func (b brush) text(short bool) string {
	lo, hi := fmtTime(b.lo), fmtTime(b.hi)
	if lo[:10] == hi[:10] {
		hi = hi[11:] // the same day: its time only
		if short {
			return "brush " + lo[11:] + "–" + hi
		}
	}
	return "brush " + lo + " – " + hi
}

// screen is one screen's model. Screens are pointers owned by the root
// Model; they read and write the env the root passes in.
type screen interface {
	base() *screenBase
	load(e *env) tea.Cmd
	update(e *env, msg tea.Msg) tea.Cmd
	view(e *env, w, h int) string
	typing() bool // a text input has the keys
}

type screenBase struct {
	sid    int
	title  string
	loaded bool
	gen    int // brushGen the screen last loaded with
	// due: the output changed since the screen loaded and it was not
	// refreshed in place (not in view): Model.show loads it again
	// (followOutput sets it, on top of the stack or under another screen)
	due bool
}

func (b *screenBase) base() *screenBase { return b }

// dataMsg carries the result of a query Cmd to the screen that asked.
type dataMsg struct {
	req    int
	screen int
	tag    string
	v      any
	err    error
}

// pushMsg drills into a new screen; switchMsg shows a top-level screen.
type (
	pushMsg   struct{ s screen }
	switchMsg struct{ tab int }
	statusMsg struct {
		text string
		err  bool
	}
	reopenMsg struct{}
)

// snapIntervalS is a live run's interval length in seconds: its config's
// interval_s (Options.IntervalS), else as the snapshot's closed intervals
// tell it; 0 offline or not known yet.
func (e *env) snapIntervalS() float64 {
	if e.snap == nil {
		return 0
	}
	if e.ivS > 0 {
		return e.ivS
	}
	for _, f := range e.snap.Flows {
		if f.IntervalS > 0 {
			return f.IntervalS
		}
	}
	return 0
}

func (e *env) newID() int { e.nextID++; return e.nextID }

// query runs fn as a Cmd with a cancellable context; its result reaches
// screen sid as a dataMsg tagged tag. A panic in fn becomes an error.
func (e *env) query(sid int, tag string, fn func(ctx context.Context, db *sql.DB) (any, error)) tea.Cmd {
	if e.db == nil {
		err := e.openErr
		if err == nil {
			err = errors.New("no output opened")
		}
		return func() tea.Msg { return dataMsg{screen: sid, tag: tag, err: err} }
	}
	id := e.newID()
	ctx, cancel := context.WithCancel(context.Background())
	e.inflight[id] = cancel
	if e.owner == nil {
		e.owner = map[int]int{}
	}
	e.owner[id] = sid
	db := e.db
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = dataMsg{req: id, screen: sid, tag: tag, err: fmt.Errorf("internal error: %v\n%s", r, debug.Stack())}
			}
		}()
		v, err := fn(ctx, db)
		if err != nil && ctx.Err() != nil {
			// a cancel can surface as the driver's own error
			// ("INTERRUPT Error: Interrupted!") rather than ctx.Err():
			// what ended the query is the cancel
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return dataMsg{req: id, screen: sid, tag: tag, v: v, err: err}
	}
}

// cancelQueries cancels the queries in flight asked by screen sid (every
// one when sid < 0) and forgets them (their results, context.Canceled,
// still reach their screens); it returns how many it cancelled.
func (e *env) cancelQueries(sid int) int {
	n := 0
	for id, c := range e.inflight {
		if sid < 0 || e.owner[id] == sid {
			c()
			delete(e.inflight, id)
			delete(e.owner, id)
			n++
		}
	}
	return n
}

func (e *env) setErr(err error) {
	if err == nil {
		e.errMsg = ""
		return
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	for _, p := range []string{"tui: ", "queries: "} { // where it was noticed, not what it is (as the commands' lines)
		s = strings.TrimPrefix(s, p)
	}
	e.errMsg = s
}

// Model is the root model: the tab bar of top-level screens, a stack of
// drilled-in screens, the status line and the footer.
type Model struct {
	e        *env
	tabs     []screen
	cur      int
	stack    []screen
	help     help.Model
	showHelp bool
	w, h     int
}

// New returns the root Model over opts.Out. A folder without output is not
// an error here: the status line says so and the TUI retries every two
// seconds (a run may still be starting). The error is for bad key remaps.
func New(opts Options) (*Model, error) {
	km := DefaultKeyMap()
	if err := km.Remap(opts.Keys); err != nil {
		return nil, err
	}
	r := opts.Renderer
	colour := os.Getenv("NO_COLOR") == "" // https://no-color.org
	if r == nil {
		out := opts.Output
		if out == nil {
			out = os.Stdout
		}
		r = lipgloss.NewRenderer(out)
		if !colour && (term.IsTerminal(int(out.Fd())) || os.Getenv("CLICOLOR_FORCE") != "") {
			// NO_COLOR takes colours away, not bold and reverse video
			// (termenv's profile for NO_COLOR drops both): the styles
			// have no colours then.
			r.SetColorProfile(termenv.ANSI)
		}
	}
	e := &env{out: opts.Out, ivS: opts.IntervalS, keys: km, st: newStyles(r, colour), inflight: map[int]context.CancelFunc{}, live: opts.Live, livePoll: time.Second, outPoll: outputPoll, reasons: opts.Empty}
	e.status = opts.Notice
	e.openOutput()
	if c := e.emptyCheck(true); c != nil { // the first frame says why already
		e.setEmpty(c().(emptyMsg))
	}
	m := &Model{e: e, help: help.New(), w: 80, h: 24}
	m.help.Styles.ShortKey = r.NewStyle().Bold(true)
	m.help.Styles.ShortDesc = e.st.dim
	m.help.Styles.FullKey = r.NewStyle().Bold(true)
	m.help.Styles.FullDesc = e.st.dim
	m.help.Styles.ShortSeparator = e.st.dim
	var flows screen = newTableScreen(e, flowsSpec())
	if opts.Live != nil {
		flows = newLiveFlowsTab(e) // the engines' flows first, L: the written table
	}
	m.tabs = []screen{
		newOverview(e),
		flows,
		newTableScreen(e, tcpSpec()),
		newTableScreen(e, ftpSpec()),
		newTableScreen(e, rttSpec()),
		newTableScreen(e, onewaySpec()),
		newTableScreen(e, eventsSpec()),
		newSQLScreen(e),
	}
	return m, nil
}

// Close releases the database.
func (m *Model) Close() error {
	for _, c := range m.e.inflight {
		c()
	}
	if m.e.db != nil {
		return m.e.db.Close()
	}
	return nil
}

func (m *Model) active() screen {
	if n := len(m.stack); n > 0 {
		return m.stack[n-1]
	}
	return m.tabs[m.cur]
}

// Init loads the overview.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.show(), m.e.loadSpan(), m.e.checkLater()}
	if m.e.db == nil {
		cmds = append(cmds, reopenLater())
	}
	if m.e.live != nil {
		cmds = append(cmds, m.pollLive())
	}
	return tea.Batch(cmds...)
}

func reopenLater() tea.Cmd {
	return tea.Tick(2*time.Second, func(time.Time) tea.Msg { return reopenMsg{} })
}

// show loads the active screen if it has not been loaded with the
// current brush, or the output changed since it was (screenBase.due).
func (m *Model) show() tea.Cmd {
	s := m.active()
	b := s.base()
	if b.loaded && b.gen == m.e.brushGen && !b.due {
		return nil
	}
	b.loaded, b.gen, b.due = true, m.e.brushGen, false
	return s.load(m.e)
}

// Update handles keys, mouse, resizes and query results.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		// every screen learns the size, not only the one shown: the
		// overview's strip is redrawn for the new width when it comes back
		var cmds []tea.Cmd
		for _, s := range append(append([]screen(nil), m.tabs...), m.stack...) {
			cmds = append(cmds, s.update(m.e, msg))
		}
		return m, tea.Batch(cmds...)
	case dataMsg:
		c, ok := m.e.inflight[msg.req]
		if ok {
			c()
			delete(m.e.inflight, msg.req)
			delete(m.e.owner, msg.req)
		}
		if ok && errors.Is(msg.err, context.Canceled) { // (esc and a reload remove what they cancel, and say so)
			m.e.status = "query cancelled"
		}
		for _, s := range append(append([]screen(nil), m.tabs...), m.stack...) {
			if s.base().sid == msg.screen {
				return m, s.update(m.e, msg)
			}
		}
		return m, nil
	case pushMsg:
		m.stack = append(m.stack, msg.s)
		m.e.errMsg = ""
		b := msg.s.base()
		b.loaded, b.gen = true, m.e.brushGen // shown again as it is, unless the brush or the output changed
		return m, msg.s.load(m.e)
	case switchMsg:
		m.stack = nil
		m.cur = msg.tab
		return m, m.show()
	case statusMsg:
		if msg.err {
			m.e.errMsg = msg.text
		} else {
			m.e.status = msg.text
		}
		return m, nil
	case reopenMsg:
		return m, m.reopen()
	case outputCheckMsg:
		return m, m.checkOutput()
	case emptyMsg:
		m.e.setEmpty(msg)
		return m, nil
	case inspectMsg:
		msg(m)
		return m, nil
	case liveMsg:
		m.e.snap = msg.st
		m.e.liveHist.add(msg.st)
		span := m.e.liveSpan(msg.st)
		if c := m.liveReopen(msg.st); c != nil {
			return m, tea.Batch(m.pollLive(), c, span)
		}
		// a live run polls no output (checkLater): its snapshots note the
		// run's state for the empty tables' reasons (it ends, or ends the
		// replay's staging), once a poll
		return m, tea.Batch(m.pollLive(), m.loadLiveRows(msg.st), m.active().update(m.e, msg), span, m.e.emptyCheck(false))
	case spanMsg:
		m.e.setSpan(msg)
		return m, nil
	case liveRowsMsg:
		return m, m.liveRowsLoaded(msg)
	case tea.MouseMsg:
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			return m, m.active().update(m.e, tea.KeyMsg{Type: tea.KeyUp})
		case tea.MouseButtonWheelDown:
			return m, m.active().update(m.e, tea.KeyMsg{Type: tea.KeyDown})
		}
		return m, m.active().update(m.e, msg)
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			return m, m.keyRunes(msg)
		}
		return m, m.key(msg)
	}
	return m, m.active().update(m.e, msg)
}

// keyRunes handles keys typed faster than the terminal is read, which
// bubbletea hands over as one message of several runes: outside a text
// field each is a key of its own ("q2" is q, then 2; in tmux a fast "q2"
// was ignored whole); once a rune opens a text field (/ filter), the rest
// are typed into it.
func (m *Model) keyRunes(msg tea.KeyMsg) tea.Cmd {
	var cmds []tea.Cmd
	for i, r := range msg.Runes {
		if m.active().typing() {
			rest := msg
			rest.Runes = msg.Runes[i:]
			return tea.Batch(append(cmds, m.key(rest))...)
		}
		cmds = append(cmds, m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
	}
	return tea.Batch(cmds...)
}

func (m *Model) reopen() tea.Cmd {
	if m.e.db != nil {
		return nil
	}
	m.e.openOutput()
	if m.e.db == nil {
		return reopenLater()
	}
	m.e.liveReady, m.e.liveRows = false, 0 // the live tables were in the closed database
	m.e.errMsg = ""
	for _, s := range append(append([]screen(nil), m.tabs...), m.stack...) {
		s.base().loaded = false
	}
	return tea.Batch(m.show(), m.e.loadSpan(), m.e.emptyCheck(true))
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	k := m.e.keys
	if msg.String() == "ctrl+c" {
		return tea.Quit
	}
	// a note in the status line ("wrote 12 packets to …") lasts until
	// the next key; what the key does may set another
	m.e.status = ""
	if m.showHelp {
		if key.Matches(msg, k.Quit) {
			return tea.Quit
		}
		m.showHelp = false
		return nil
	}
	s := m.active()
	if s.typing() {
		c, ok := s.(interface{ closeChooser() bool })
		if !ok || !m.screenKey(msg) || !c.closeChooser() {
			return s.update(m.e, msg)
		}
		// the column chooser takes no text: a screen key (1–8, tab)
		// closes it and does what it does elsewhere
	}
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp = true
		return nil
	case key.Matches(msg, k.Back):
		// on a screen drilled into, esc goes back one level at once,
		// cancelling what that screen still loads (a flow detail or a
		// packet list left on "loading …" by the cancel, its load never
		// asked again, took a second esc to leave); the screen below
		// keeps its own queries. On a top-level screen it cancels the
		// queries in flight, or else goes back within the screen.
		if len(m.stack) > 0 {
			m.e.cancelQueries(s.base().sid)
			m.stack = m.stack[:len(m.stack)-1]
			m.e.errMsg = ""
			return m.show()
		}
		if m.e.cancelQueries(-1) > 0 {
			m.e.status = "query cancelled"
			return s.update(m.e, cancelledMsg{})
		}
		return s.update(m.e, msg)
	case key.Matches(msg, k.BrushClear) && m.e.brush.active():
		if _, ov := s.(*overview); ov {
			return s.update(m.e, msg) // it also drops a brush being marked
		}
		// B clears the brush from any screen: each reloads without it
		m.e.brush = brush{}
		m.e.brushGen++
		m.e.status = "brush cleared"
		return m.show()
	case key.Matches(msg, k.NextScreen):
		return m.switchTo((m.cur + 1) % len(m.tabs))
	case key.Matches(msg, k.PrevScreen):
		return m.switchTo((m.cur + len(m.tabs) - 1) % len(m.tabs))
	}
	for i, b := range []key.Binding{k.Overview, k.Flows, k.TCP, k.FTP, k.RTT, k.Oneway, k.Events, k.SQL} {
		if key.Matches(msg, b) {
			return m.switchTo(i)
		}
	}
	// keys this screen has no use for say why, rather than nothing
	switch {
	case key.Matches(msg, k.LiveFlows) && !hasLiveRows(s):
		if m.e.live == nil {
			m.e.status = "L: live rows only in a live run (tmonbench live/replay --tui)"
		} else {
			m.e.status = "L: this screen has no live rows"
		}
		return nil
	case key.Matches(msg, k.Row) && !opensRows(s):
		m.e.status = k.Row.Help().Key + ": opens a table row whole, on a table screen"
		return nil
	case key.Matches(msg, k.Write):
		if _, ok := s.(*packetsScreen); !ok {
			m.e.status = "w: writes packets from a Packets screen (p opens one)"
			return nil
		}
	}
	return s.update(m.e, msg)
}

// screenKey reports whether msg changes the top-level screen (1–8, tab,
// shift+tab).
func (m *Model) screenKey(msg tea.KeyMsg) bool {
	k := m.e.keys
	for _, b := range []key.Binding{k.NextScreen, k.PrevScreen, k.Overview, k.Flows, k.TCP, k.FTP, k.RTT, k.Oneway, k.Events, k.SQL} {
		if key.Matches(msg, b) {
			return true
		}
	}
	return false
}

// opensRows reports whether m (whole row) means something on s: not on
// the overview, a flow page or a Packets screen, which have no table row
// under a cursor.
func opensRows(s screen) bool {
	switch s.(type) {
	case *overview, *detail, *packetsScreen:
		return false
	}
	return true
}

// hasLiveRows reports whether L switches s between live and written rows.
func hasLiveRows(s screen) bool {
	switch s := s.(type) {
	case *liveFlowsTab:
		return true
	case *pagedTable:
		return s.liveable
	}
	return false
}

// inspectMsg runs a function on the model in the program's goroutine
// (tests read the queries in flight with it).
type inspectMsg func(*Model)

// cancelledMsg tells the active screen that its queries were cancelled.
type cancelledMsg struct{}

func (m *Model) switchTo(i int) tea.Cmd {
	m.stack = nil
	m.cur = i
	m.e.errMsg = ""
	return m.show()
}

// View draws the tab bar, the active screen, the status line and the
// footer, exactly the terminal's size.
func (m *Model) View() string {
	w, h := m.w, m.h
	if w <= 0 || h <= 0 {
		return ""
	}
	st := m.e.st
	bar := m.tabBar(w)
	bodyH := max(h-3, 1)
	var body string
	if m.showHelp {
		body = st.section.Render("Keys") + "  (any key closes; remap them in the config's tui.keys)\n\n" + m.fullHelp(w) +
			"\n\n" + ansi.Wordwrap(filterHelp, min(w, 90), "")
	} else {
		body = m.active().view(m.e, w, bodyH)
	}
	status := m.statusLine(w)
	foot := m.footer(w)
	return fit(bar, w, 1) + "\n" + fit(body, w, bodyH) + "\n" + fit(status, w, 1) + "\n" + fit(foot, w, 1)
}

// tabBar is the screens' tabs and, after "›", the screens drilled into,
// within w cells: when they do not fit, the tabs other than the current
// one show their number only ("1 2 3 4 5 6 7 Events 8 › Events row 11" at
// 80 columns, where the whole bar cut the title to "Events …"), then the
// screens drilled into before the last one become "…".
func (m *Model) tabBar(w int) string {
	st := m.e.st
	draw := func(short bool, from int) string {
		var tabs []string
		for i, s := range m.tabs {
			t := fmt.Sprintf("%d %s", i+1, s.base().title)
			switch {
			case i == m.cur && len(m.stack) == 0:
				tabs = append(tabs, st.title.Render(t))
			case short && i != m.cur:
				tabs = append(tabs, st.tab.Render(fmt.Sprint(i+1)))
			default:
				tabs = append(tabs, st.tab.Render(t))
			}
		}
		if from > 0 {
			tabs = append(tabs, st.dim.Render("› …"))
		}
		for _, s := range m.stack[from:] {
			tabs = append(tabs, st.dim.Render("›"), st.title.Render(s.base().title))
		}
		return strings.Join(tabs, "")
	}
	bar := draw(false, 0)
	for from := 0; ansi.StringWidth(bar) > w && from < len(m.stack); from++ {
		bar = draw(true, from)
	}
	return bar
}

// footer is the short help on one line of w cells: while a text field
// has the keys, the field's own (inputKeys); else the hints before
// "? help" and "q quit" go first, from the last, until it fits (those two
// always stay). On a table whose cells can be longer than the window
// (Events) "m whole row" follows "enter"; while a brush is set, "B clear
// brush" comes first (a trial found no sign of it on the Flows screen).
func (m *Model) footer(w int) string {
	if in, ok := m.active().(inputKeys); ok && m.active().typing() {
		return m.help.ShortHelpView(in.inputHelp())
	}
	bs := m.e.keys.ShortHelp()
	if t, ok := m.active().(*pagedTable); ok && t.spec.long { // m (the whole row) after enter
		bs = append(bs[:2:2], append([]key.Binding{m.e.keys.Row}, bs[2:]...)...)
	}
	if m.e.brush.active() { // how to clear it first: the last hint the width leaves out
		bs = append([]key.Binding{m.e.keys.BrushClear}, bs...)
	}
	for {
		v := m.help.ShortHelpView(bs)
		if ansi.StringWidth(v) <= w || len(bs) <= 2 {
			return v
		}
		bs = append(bs[:len(bs)-3], bs[len(bs)-2:]...)
	}
}

// fullHelp is the ? page's keys: the key map's four groups side by side,
// or, when they are wider than w, every binding in order reflowed into as
// many columns as fit.
func (m *Model) fullHelp(w int) string {
	groups := m.e.keys.FullHelp()
	if v := m.help.FullHelpView(groups); maxLineWidth(v) <= w {
		return v
	}
	var all []key.Binding
	for _, g := range groups {
		all = append(all, g...)
	}
	for n := len(groups) - 1; n > 1; n-- {
		per := (len(all) + n - 1) / n
		var cols [][]key.Binding
		for i := 0; i < len(all); i += per {
			cols = append(cols, all[i:min(i+per, len(all))])
		}
		if v := m.help.FullHelpView(cols); maxLineWidth(v) <= w {
			return v
		}
	}
	return m.help.FullHelpView([][]key.Binding{all})
}

// maxLineWidth is the width in cells of the widest line of s.
func maxLineWidth(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, ansi.StringWidth(l))
	}
	return n
}

const filterHelp = `Filters (/): a pcap-filter expression (tcp port 21 and host 10.0.0.5, net 10.0.0.0/8, src or dst portrange 1000-2000, not icmp) over the table's address, port and protocol columns; "where <SQL>" for any SQL condition; anything else searches the text columns.
Brush: on the overview, move along the time strip with ←/→ and press b at each end; every screen then shows only that time range. B clears it.`

func (m *Model) statusLine(w int) string {
	st := m.e.st
	var parts []string
	if m.e.snap != nil { // first: at 80 columns the rest may be cut
		parts = append(parts, st.status.Render(liveLine(m.e.snap, &m.e.liveHist)))
	}
	if m.e.db == nil && m.e.snap != nil && !m.e.snap.Done { // a live run that has not written yet: no error
		parts = append(parts, st.status.Render("no tables written yet"))
	} else if tbl, ok := missingTable(m.e.errMsg); ok && m.e.snap != nil && !m.e.snap.Done {
		// a live run has not written this table yet: the next reopen
		// (liveReopen) makes its view
		parts = append(parts, st.status.Render("no "+tbl+" rows written yet"))
	} else if m.e.errMsg != "" {
		parts = append(parts, st.err.Render("error: "+m.e.errMsg))
	} else if m.e.db == nil && m.e.openErr != nil {
		parts = append(parts, st.err.Render(m.e.openErr.Error()))
	}
	// the brush before the notes: a long note must not push it off the
	// line; not when the screen's info line says it (a table's: the brush
	// twice at 80 columns, the sixth trial's D6)
	if sb, ok := m.active().(interface{ showsBrush() bool }); m.e.brush.active() && (m.showHelp || !ok || !sb.showsBrush()) {
		parts = append(parts, st.brush.Render(m.e.brush.text(false)))
	}
	if m.e.staged() {
		// a replay writing the output: the TUI reads its staging folder
		// (queries.Open), followed at each check, until it moves in place
		parts = append(parts, st.status.Render(stagedNote))
	}
	if n := len(m.e.inflight); n > 0 {
		parts = append(parts, st.status.Render(fmt.Sprintf("running %d quer%s… (esc cancels)", n, map[bool]string{true: "y", false: "ies"}[n == 1])))
	} else if m.e.status != "" && m.e.errMsg == "" {
		parts = append(parts, st.status.Render(m.e.status))
	}
	return strings.Join(parts, "  ")
}
