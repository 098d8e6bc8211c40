package erpnextfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// document is a stored row that can answer for its columns.
type document interface {
	field(name string) (any, bool)
}

// entry is one stored document with its sort keys.
type entry struct {
	name     string
	modified time.Time
	doc      document
	full     any // what GET of the single document returns
}

// table holds one doctype. sorted is rebuilt lazily after writes, so a burst of
// writes costs one sort at the next list.
type table struct {
	columns []string
	byName  map[string]*entry
	sorted  []*entry // by (modified, name)
	dirty   bool
}

func newTable(columns []string) *table {
	return &table{columns: columns, byName: make(map[string]*entry)}
}

func (t *table) put(e *entry) {
	t.byName[e.name] = e
	t.dirty = true
}

func (t *table) remove(name string) bool {
	if _, ok := t.byName[name]; !ok {
		return false
	}
	delete(t.byName, name)
	t.dirty = true
	return true
}

func (t *table) index() []*entry {
	if t.dirty {
		t.sorted = t.sorted[:0]
		for _, e := range t.byName {
			t.sorted = append(t.sorted, e)
		}
		slices.SortFunc(t.sorted, func(a, b *entry) int {
			if c := a.modified.Compare(b.modified); c != 0 {
				return c
			}
			return strings.Compare(a.name, b.name)
		})
		t.dirty = false
	}
	return t.sorted
}

func (t *table) hasColumn(name string) bool { return slices.Contains(t.columns, name) }

// queryError is a request the fake rejects the way Frappe does (417
// ValidationError or DataError).
type queryError struct{ msg string }

func (e *queryError) Error() string { return e.msg }

func badQuery(format string, args ...any) error {
	return &queryError{msg: fmt.Sprintf(format, args...)}
}

// cond is one [field, operator, value] filter.
type cond struct {
	field string
	op    string
	value any
}

// orderKey is one "field asc|desc" of order_by.
type orderKey struct {
	field string
	desc  bool
}

// listQuery is a parsed GET /api/resource/{doctype}.
type listQuery struct {
	fields []string
	conds  []cond // AND-ed
	ors    []cond // OR-ed, the group AND-ed with conds
	order  []orderKey
	start  int
	length int // 0 = no limit
}

// columnName strips the forms Frappe accepts around a column: backticks and a
// "`tabDoctype`." prefix.
func columnName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "."); i >= 0 && strings.HasPrefix(s, "`tab") {
		s = s[i+1:]
	}
	return strings.Trim(s, "`")
}

func decodeJSON(raw string, v any) error {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// parseFilters reads the list form ([[field, op, value]] or [[doctype, field,
// op, value]]) or the dict form ({field: value} or {field: [op, value]}).
func parseFilters(t *table, raw string) ([]cond, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	var v any
	if err := decodeJSON(raw, &v); err != nil {
		return nil, badQuery("filters is not valid JSON")
	}
	var out []cond
	add := func(field, op string, value any) error {
		field = columnName(field)
		if !t.hasColumn(field) {
			return badQuery("Field not permitted in query: %s", field)
		}
		op = strings.ToLower(strings.TrimSpace(op))
		switch op {
		case "=", "!=", "<", ">", "<=", ">=", "in", "not in", "like", "not like", "between", "is":
		default:
			return badQuery("Operator must be one of =, !=, >, <, >=, <=, like, not like, in, not in, between, is: %s", op)
		}
		out = append(out, cond{field: field, op: op, value: value})
		return nil
	}
	switch f := v.(type) {
	case []any:
		for _, item := range f {
			parts, ok := item.([]any)
			if !ok {
				return nil, badQuery("each filter must be a list")
			}
			if len(parts) == 4 {
				parts = parts[1:]
			}
			if len(parts) != 3 {
				return nil, badQuery("a filter has 3 or 4 items")
			}
			field, ok1 := parts[0].(string)
			op, ok2 := parts[1].(string)
			if !ok1 || !ok2 {
				return nil, badQuery("filter field and operator must be strings")
			}
			if err := add(field, op, parts[2]); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(f))
		for k := range f {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			op, val := "=", f[k]
			if pair, ok := val.([]any); ok && len(pair) == 2 {
				if s, ok := pair[0].(string); ok {
					op, val = s, pair[1]
				}
			}
			if err := add(k, op, val); err != nil {
				return nil, err
			}
		}
	default:
		return nil, badQuery("filters must be a list or a dict")
	}
	return out, nil
}

func parseOrder(t *table, raw string) ([]orderKey, error) {
	if strings.TrimSpace(raw) == "" {
		// Frappe's default sort for these doctypes.
		return []orderKey{{field: "modified", desc: true}}, nil
	}
	var keys []orderKey
	for _, part := range strings.Split(raw, ",") {
		// The column may be quoted with a space inside ("`tabSales Order`.`name`"),
		// so only a trailing asc/desc is split off.
		col := strings.TrimSpace(part)
		k := orderKey{}
		if i := strings.LastIndexAny(col, " \t"); i >= 0 {
			switch strings.ToLower(col[i+1:]) {
			case "asc":
				col = col[:i]
			case "desc":
				col, k.desc = col[:i], true
			}
		}
		k.field = columnName(col)
		if k.field == "" || strings.ContainsAny(k.field, " \t") {
			return nil, badQuery("Invalid order_by: %s", raw)
		}
		if !t.hasColumn(k.field) {
			return nil, badQuery("Field not permitted in query: %s", k.field)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func parseFields(t *table, raw string) ([]string, error) {
	if strings.TrimSpace(raw) == "" {
		return []string{"name"}, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, badQuery("fields must be a JSON list of strings")
	}
	var out []string
	for _, f := range list {
		if f == "*" {
			out = append(out, t.columns...)
			continue
		}
		c := columnName(f)
		if !t.hasColumn(c) {
			return nil, badQuery("Field not permitted in query: %s", c)
		}
		out = append(out, c)
	}
	return out, nil
}

func parseInt(raw string, def int) (int, error) {
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, badQuery("%q is not a non-negative integer", raw)
	}
	return n, nil
}

// isDatetime says which columns compare as datetimes.
func isDatetime(field string) bool { return field == "creation" || field == "modified" }

func parseTime(s string, loc *time.Location) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case frappeFloat:
		return float64(x), true
	case int:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	case nil:
		return 0, true
	}
	return 0, false
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}

// compare orders a column value against a filter value the way MariaDB would
// for the column's type. ok is false when the value cannot be compared.
func compare(field string, have, want any, loc *time.Location) (int, bool) {
	switch have.(type) {
	case int, float64, frappeFloat:
		a, _ := toFloat(have)
		b, ok := toFloat(want)
		return cmp.Compare(a, b), ok
	}
	hs, ws := toString(have), toString(want)
	if isDatetime(field) {
		a, ok1 := parseTime(hs, loc)
		b, ok2 := parseTime(ws, loc)
		if !ok1 || !ok2 {
			return 0, false
		}
		return a.Compare(b), true
	}
	return strings.Compare(strings.ToLower(hs), strings.ToLower(ws)), true
}

func listValues(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case string:
		var out []any
		for _, p := range strings.Split(x, ",") {
			out = append(out, strings.TrimSpace(p))
		}
		return out
	}
	return []any{v}
}

func likeRE(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?is)^")
	for _, r := range pattern {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func (c cond) match(d document, loc *time.Location) (bool, error) {
	have, _ := d.field(c.field)
	switch c.op {
	case "=", "!=", "<", ">", "<=", ">=":
		r, ok := compare(c.field, have, c.value, loc)
		if !ok {
			return false, badQuery("Invalid value for %s: %v", c.field, c.value)
		}
		switch c.op {
		case "=":
			return r == 0, nil
		case "!=":
			return r != 0, nil
		case "<":
			return r < 0, nil
		case ">":
			return r > 0, nil
		case "<=":
			return r <= 0, nil
		}
		return r >= 0, nil
	case "in", "not in":
		found := false
		for _, v := range listValues(c.value) {
			if r, ok := compare(c.field, have, v, loc); ok && r == 0 {
				found = true
				break
			}
		}
		return found == (c.op == "in"), nil
	case "like", "not like":
		return likeRE(toString(c.value)).MatchString(toString(have)) == (c.op == "like"), nil
	case "between":
		vals, ok := c.value.([]any)
		if !ok || len(vals) != 2 {
			return false, badQuery("between needs two values")
		}
		lo, ok1 := compare(c.field, have, vals[0], loc)
		hi, ok2 := compare(c.field, have, vals[1], loc)
		if !ok1 || !ok2 {
			return false, badQuery("Invalid value for %s", c.field)
		}
		return lo >= 0 && hi <= 0, nil
	case "is":
		set := have != nil && toString(have) != ""
		switch strings.ToLower(toString(c.value)) {
		case "set":
			return set, nil
		case "not set":
			return !set, nil
		}
		return false, badQuery("is takes set or not set")
	}
	return false, badQuery("unsupported operator %s", c.op)
}

func (q *listQuery) matches(d document, loc *time.Location) (bool, error) {
	for _, c := range q.conds {
		ok, err := c.match(d, loc)
		if err != nil || !ok {
			return false, err
		}
	}
	if len(q.ors) == 0 {
		return true, nil
	}
	for _, c := range q.ors {
		ok, err := c.match(d, loc)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// run executes q over t. When the order is by modified ascending (the
// incremental idiom) it starts at the binary-searched lower bound of the
// modified filters and stops past the upper bound, so a page costs O(log n +
// page) instead of a full scan.
func (t *table) run(q *listQuery, loc *time.Location) ([]*entry, error) {
	rows := t.index()
	byModified := len(q.order) >= 1 && q.order[0] == orderKey{field: "modified"} &&
		(len(q.order) == 1 || (len(q.order) == 2 && q.order[1] == orderKey{field: "name"}))
	if byModified {
		lo, hi := 0, len(rows)
		var upper time.Time
		upperIncl := false
		for _, c := range q.conds {
			if c.field != "modified" || !slices.Contains([]string{">=", ">", "<", "<="}, c.op) {
				continue // other operators are left to the row filter
			}
			v, ok := parseTime(toString(c.value), loc)
			if !ok {
				return nil, badQuery("Invalid value for modified: %v", c.value)
			}
			switch c.op {
			case ">=", ">":
				i := sort.Search(len(rows), func(i int) bool { return !rows[i].modified.Before(v) })
				lo = max(lo, i)
			case "<", "<=":
				if upper.IsZero() || v.Before(upper) || (v.Equal(upper) && c.op == "<") {
					upper, upperIncl = v, c.op == "<="
				}
			}
		}
		if !upper.IsZero() {
			hi = sort.Search(len(rows), func(i int) bool {
				if upperIncl {
					return rows[i].modified.After(upper)
				}
				return !rows[i].modified.Before(upper)
			})
		}
		var out []*entry
		skipped := 0
		for i := lo; i < hi; i++ {
			ok, err := q.matches(rows[i].doc, loc)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			if skipped < q.start {
				skipped++
				continue
			}
			out = append(out, rows[i])
			if q.length > 0 && len(out) == q.length {
				break
			}
		}
		return out, nil
	}
	var out []*entry
	for _, e := range rows {
		ok, err := q.matches(e.doc, loc)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b *entry) int {
		for _, k := range q.order {
			av, _ := a.doc.field(k.field)
			bv, _ := b.doc.field(k.field)
			r, _ := compare(k.field, av, bv, loc)
			if k.desc {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return 0
	})
	if q.start >= len(out) {
		return nil, nil
	}
	out = out[q.start:]
	if q.length > 0 && len(out) > q.length {
		out = out[:q.length]
	}
	return out, nil
}

// rowsJSON renders the requested columns of each row, keys in request order,
// as {"data":[...]}. It writes the scalar types documents hold directly: a
// large page is the fake's hottest path, and reflection per value dominated it.
func rowsJSON(rows []*entry, fields []string) []byte {
	keys := make([][]byte, len(fields))
	for i, f := range fields {
		keys[i] = appendJSON(nil, f)
	}
	b := make([]byte, 0, 64+len(rows)*len(fields)*24)
	b = append(b, `{"data":[`...)
	for i, e := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		for j, f := range fields {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, keys[j]...)
			b = append(b, ':')
			v, _ := e.doc.field(f)
			b = appendJSON(b, v)
		}
		b = append(b, '}')
	}
	return append(b, `]}`...)
}

// appendJSON appends v as JSON; plain strings and numbers skip reflection.
func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case frappeFloat:
		if !math.IsInf(float64(x), 0) && !math.IsNaN(float64(x)) && math.Abs(float64(x)) < 1e21 {
			return appendFloat(b, float64(x))
		}
	case string:
		if plainString(x) {
			b = append(b, '"')
			b = append(b, x...)
			return append(b, '"')
		}
	}
	out, _ := json.Marshal(v)
	return append(b, out...)
}

// plainString reports whether s needs no JSON escaping (encoding/json also
// escapes <, > and &, and U+2028/U+2029, so those go the slow way too).
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			return false
		}
	}
	return true
}
