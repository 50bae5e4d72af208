package tfjs

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// ErrSyntax is returned for input that is not the JS object literal or JSON
// the converter reads.
var ErrSyntax = errors.New("tfjs: cannot parse model source")

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 64

// moduleValue finds the value a bundled JS module exports — the text after
// "<name>.exports=" that starts a literal — or takes src itself when it is
// plain JSON, and parses it. The result is built of map[string]any, []any,
// string, float64, bool and nil.
func moduleValue(src []byte) (any, error) {
	trimmed := bytes.TrimSpace(src)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return parseLiteral(trimmed)
	}
	marker := []byte(".exports=")
	rest := src
	for {
		i := bytes.Index(rest, marker)
		if i < 0 {
			return nil, fmt.Errorf("%w: no exported object or string literal", ErrSyntax)
		}
		rest = rest[i+len(marker):]
		if len(rest) > 0 && (rest[0] == '{' || rest[0] == '"' || rest[0] == '\'' || rest[0] == '[') {
			return parseLiteral(rest)
		}
	}
}

// parseLiteral parses one value at the start of b; what follows it is
// ignored (the rest of the module).
func parseLiteral(b []byte) (any, error) {
	p := &parser{src: b}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	return v, nil
}

type parser struct {
	src []byte
	pos int
}

func (p *parser) errorf(format string, a ...any) error {
	return fmt.Errorf("%w at byte %d: %s", ErrSyntax, p.pos, fmt.Sprintf(format, a...))
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.errorf("nested deeper than %d", maxDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end")
	}
	c := p.src[p.pos]
	switch {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"' || c == '\'':
		return p.str()
	case c == '!': // minifiers write true as !0 and false as !1
		p.pos++
		p.skipSpace()
		if p.pos < len(p.src) && (p.src[p.pos] == '0' || p.src[p.pos] == '1') {
			v := p.src[p.pos] == '0'
			p.pos++
			return v, nil
		}
		return nil, p.errorf("unsupported expression after '!'")
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		id := p.ident()
		switch id {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		case "void":
			p.skipSpace()
			if p.pos < len(p.src) && p.src[p.pos] == '0' {
				p.pos++
				return nil, nil
			}
		case "Infinity":
			return nil, p.errorf("infinite number")
		case "NaN":
			return nil, p.errorf("NaN")
		}
		return nil, p.errorf("unexpected %q", string(rune(c)))
	}
}

func isIdent(c byte, first bool) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

func (p *parser) ident() string {
	start := p.pos
	for p.pos < len(p.src) && isIdent(p.src[p.pos], p.pos == start) {
		p.pos++
	}
	return string(p.src[start:p.pos])
}

func (p *parser) object(depth int) (any, error) {
	p.pos++ // '{'
	obj := map[string]any{}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unterminated object")
		}
		if p.src[p.pos] == '}' {
			p.pos++
			return obj, nil
		}
		var key string
		switch c := p.src[p.pos]; {
		case c == '"' || c == '\'':
			s, err := p.str()
			if err != nil {
				return nil, err
			}
			key = s.(string)
		case c >= '0' && c <= '9':
			start := p.pos
			for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
				p.pos++
			}
			key = string(p.src[start:p.pos])
		default:
			key = p.ident()
			if key == "" {
				return nil, p.errorf("expected a key")
			}
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.errorf("expected ':' after key %q", key)
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		obj[key] = v
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			p.pos++
			return obj, nil
		}
		return nil, p.errorf("expected ',' or '}' in object")
	}
}

func (p *parser) array(depth int) (any, error) {
	p.pos++ // '['
	arr := []any{}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unterminated array")
		}
		if p.src[p.pos] == ']' {
			p.pos++
			return arr, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.src) && p.src[p.pos] == ']' {
			p.pos++
			return arr, nil
		}
		return nil, p.errorf("expected ',' or ']' in array")
	}
}

func (p *parser) str() (any, error) {
	quote := p.src[p.pos]
	p.pos++
	start := p.pos
	// Fast path: no escapes (base64 weights are megabytes long).
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == quote {
			s := string(p.src[start:p.pos])
			p.pos++
			return s, nil
		}
		if c == '\\' || c == '\n' {
			break
		}
		p.pos++
	}
	p.pos = start
	var out []byte
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			return string(out), nil
		case c == '\n':
			return nil, p.errorf("newline in string")
		case c == '\\':
			if p.pos+1 >= len(p.src) {
				return nil, p.errorf("unterminated escape")
			}
			e := p.src[p.pos+1]
			p.pos += 2
			switch e {
			case 'n':
				out = append(out, '\n')
			case 't':
				out = append(out, '\t')
			case 'r':
				out = append(out, '\r')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'u':
				if p.pos+4 > len(p.src) {
					return nil, p.errorf("short \\u escape")
				}
				r, err := strconv.ParseUint(string(p.src[p.pos:p.pos+4]), 16, 32)
				if err != nil {
					return nil, p.errorf("bad \\u escape")
				}
				p.pos += 4
				out = utf8.AppendRune(out, rune(r))
			default:
				out = append(out, e) // \" \' \\ \/ and JS's identity escapes
			}
		default:
			out = append(out, c)
			p.pos++
		}
	}
	return nil, p.errorf("unterminated string")
}

func (p *parser) number() (any, error) {
	start := p.pos
	if p.src[p.pos] == '-' || p.src[p.pos] == '+' {
		p.pos++
	}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' {
			p.pos++
			continue
		}
		if (c == '-' || c == '+') && (p.src[p.pos-1] == 'e' || p.src[p.pos-1] == 'E') {
			p.pos++
			continue
		}
		break
	}
	f, err := strconv.ParseFloat(string(p.src[start:p.pos]), 64)
	if err != nil {
		return nil, p.errorf("bad number %q", string(p.src[start:p.pos]))
	}
	return f, nil
}
