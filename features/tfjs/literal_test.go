package tfjs

import (
	"errors"
	"reflect"
	"testing"
)

func TestModuleValue(t *testing.T) {
	cases := []struct {
		src  string
		want any
	}{
		{`{"a": [1, -2.5, .5, 1e-3], "b": null}`, map[string]any{"a": []any{1.0, -2.5, 0.5, 0.001}, "b": nil}},
		{`!function(e){module.exports=e()}(function(){return {1:[function(e,a,n){a.exports={k:!0,l:!1,s:"x\"y",n:void 0}},{}]}})`,
			map[string]any{"k": true, "l": false, "s": `x"y`, "n": nil}},
		{`x.exports=e();h.exports="QUJD"`, "QUJD"},
		{`[{'q': 'it\'s'}, "\u0041"]`, []any{map[string]any{"q": "it's"}, "A"}},
	}
	for _, c := range cases {
		got, err := moduleValue([]byte(c.src))
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.src, got, c.want)
		}
	}
}

func TestModuleValueErrors(t *testing.T) {
	for _, src := range []string{
		``, `{`, `{"a":}`, `{"a" 1}`, `[1,,]`, `"unterminated`, `{a:1e999}`, `module.exports=e()`,
		string(make([]byte, 100)),
		"[" + string(repeat('[', 200)),
	} {
		if _, err := moduleValue([]byte(src)); !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: got %v, want ErrSyntax", src, err)
		}
	}
}

func repeat(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}
