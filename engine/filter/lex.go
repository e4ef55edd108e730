package filter

// tokKind is the lexical class of a token.
type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tNot   // "not" or "!"
	tAnd   // "and" or "&&"
	tOr    // "or" or "||"
	tRel   // < <= > >= = == !=
	tSlash // "/"
	tWord  // keyword or value (number, address, range, name)
	tBad   // a character no filter uses
	tArith // arithmetic operator: + - * % & | ^ << >> ("/" is tSlash)
	tLBrack
	tRBrack
	tColon // ':' inside brackets (`ip[6:2]`); elsewhere part of an IPv6 word
)

// token is one lexeme with its byte offset in the expression.
type token struct {
	kind tokKind
	text string
	off  int
}

// isWordByte reports whether c can appear in a word: libpcap's ID, HID and
// HID6 lexemes (letters, digits, '-', '_', '.', ':').
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == ':'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// lex splits s into tokens, ending with tEOF at offset len(s).
func lex(s string) []token {
	var toks []token
	brack := 0 // '[' nesting: inside, ':' separates offset and size
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isSpace(c):
			i++
			continue
		case c == '[':
			brack++
			toks = append(toks, token{tLBrack, "[", i})
			i++
		case c == ']':
			brack = max(brack-1, 0)
			toks = append(toks, token{tRBrack, "]", i})
			i++
		case c == ':' && brack > 0:
			toks = append(toks, token{tColon, ":", i})
			i++
		case (c == '<' || c == '>') && i+1 < len(s) && s[i+1] == c:
			toks = append(toks, token{tArith, s[i : i+2], i})
			i += 2
		case c == '+' || c == '-' || c == '*' || c == '%' || c == '^' ||
			(c == '&' || c == '|') && (i+1 >= len(s) || s[i+1] != c):
			// A word never starts with '-': here it is subtraction or
			// negation (`len - 14`, `-1`).
			toks = append(toks, token{tArith, s[i : i+1], i})
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", i})
			i++
		case c == '/':
			toks = append(toks, token{tSlash, "/", i})
			i++
		case c == '!':
			if i+1 < len(s) && s[i+1] == '=' {
				toks = append(toks, token{tRel, "!=", i})
				i += 2
			} else {
				toks = append(toks, token{tNot, "!", i})
				i++
			}
		case c == '&' && i+1 < len(s) && s[i+1] == '&':
			toks = append(toks, token{tAnd, "&&", i})
			i += 2
		case c == '|' && i+1 < len(s) && s[i+1] == '|':
			toks = append(toks, token{tOr, "||", i})
			i += 2
		case c == '<' || c == '>' || c == '=':
			n := 1
			if i+1 < len(s) && s[i+1] == '=' {
				n = 2
			}
			toks = append(toks, token{tRel, s[i : i+n], i})
			i += n
		case c == '\\':
			// Escaped name (libpcap: `proto \tcp`): up to a blank,
			// parenthesis or '!'.
			j := i + 1
			for j < len(s) && !isSpace(s[j]) && s[j] != '(' && s[j] != ')' && s[j] != '!' {
				j++
			}
			toks = append(toks, token{tWord, s[i:j], i})
			i = j
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) && !(s[j] == ':' && brack > 0) {
				j++
			}
			w := s[i:j]
			kind := tWord
			switch w {
			case "and":
				kind = tAnd
			case "or":
				kind = tOr
			case "not":
				kind = tNot
			}
			toks = append(toks, token{kind, w, i})
			i = j
		default:
			toks = append(toks, token{tBad, s[i : i+1], i})
			i++
		}
	}
	return append(toks, token{tEOF, "", len(s)})
}
