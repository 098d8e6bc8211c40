package templates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"

	"github.com/orderbot/orderbot"
)

// maxFileSize bounds a template file; real ones are a few hundred bytes.
const maxFileSize = 64 << 10

// Load returns the built-in templates overlaid by the files in dir, laid out
// like the built-ins: dir/<locale>/<kind>.<event>.tmpl. A file replaces the
// built-in template of its locale, kind and event, or adds one. Hidden files
// (".…") are ignored. An empty dir means the built-ins alone.
//
// Every file is parsed and trial-rendered with sample data, so a syntax error,
// a misspelt placeholder or a section that renders empty is reported now, not
// when a customer is due a notice. Load reports every problem at once
// (errors.Join of *orderbot.Error of KindInvalid), each naming the file and
// the reason: unknown locale, kind or event, an internal kind, a parse error,
// an unknown or missing section, text outside a section, or a failed trial
// render.
func Load(dir string) (*Set, error) {
	if dir == "" {
		return Builtin(), nil
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, orderbot.Wrap(orderbot.KindInvalid, "templates.load", err, "cannot read the templates directory")
	}
	if !info.IsDir() {
		return nil, orderbot.Errorf(orderbot.KindInvalid, "templates.load", "%s is not a directory", dir)
	}
	s := &Set{byKey: make(map[key]*tmpl, len(Builtin().byKey))}
	for k, t := range Builtin().byKey {
		s.byKey[k] = t
	}
	if err := s.addDir(os.DirFS(dir), func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }); err != nil {
		return nil, err
	}
	return s, nil
}

// addDir parses every <locale>/<kind>.<event>.tmpl in fsys into s, replacing
// templates of the same locale, kind and event. name turns a path in fsys into
// the name errors show.
func (s *Set) addDir(fsys fs.FS, name func(string) string) error {
	var errs []error
	problem := func(p, format string, args ...any) {
		errs = append(errs, orderbot.Errorf(orderbot.KindInvalid, "templates.load", "%s: %s", name(p), fmt.Sprintf(format, args...)))
	}
	top, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return orderbot.Wrap(orderbot.KindInvalid, "templates.load", err, "cannot read the templates directory")
	}
	for _, loc := range top {
		if hidden(loc.Name()) {
			continue
		}
		if !loc.IsDir() {
			problem(loc.Name(), "not in a locale directory; want <locale>/<kind>.<event>.tmpl with locale one of %s", strings.Join(supported, ", "))
			continue
		}
		locale := loc.Name()
		if !isSupported(locale) {
			problem(locale, "unknown locale %q; valid: %s", clip(locale, 40), strings.Join(supported, ", "))
			continue
		}
		files, err := fs.ReadDir(fsys, locale)
		if err != nil {
			problem(locale, "cannot read: %v", err)
			continue
		}
		for _, f := range files {
			p := path.Join(locale, f.Name())
			switch {
			case hidden(f.Name()):
				continue
			case f.IsDir():
				problem(p, "unexpected directory; want <kind>.<event>.tmpl files only")
				continue
			}
			kind, event, err := splitFileName(f.Name())
			if err != nil {
				problem(p, "%v", err)
				continue
			}
			src, err := readFile(fsys, p)
			if err != nil {
				problem(p, "%v", err)
				continue
			}
			t, ferrs := parseFile(p, name(p), locale, src)
			for _, e := range ferrs {
				problem(p, "%v", e)
			}
			if t != nil {
				s.byKey[key{locale, kind, event}] = t
			}
		}
	}
	return errors.Join(errs...)
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

func isSupported(locale string) bool {
	for _, l := range supported {
		if l == locale {
			return true
		}
	}
	return false
}

// splitFileName splits "<kind>.<event>.tmpl"; the kind holds a dot itself
// ("shipping.stalled.open.tmpl"), so the event is what follows the last one.
func splitFileName(file string) (orderbot.Kind, orderbot.NoticeEvent, error) {
	base, ok := strings.CutSuffix(file, ".tmpl")
	i := strings.LastIndexByte(base, '.')
	if !ok || i < 0 {
		return "", "", errors.New("not a template file name; want <kind>.<event>.tmpl, e.g. shipping.stalled.open.tmpl")
	}
	kind, event := orderbot.Kind(base[:i]), orderbot.NoticeEvent(base[i+1:])
	if !knownEvent(event) {
		return "", "", fmt.Errorf("unknown event %q; valid: %s", clip(string(event), 40), joinEvents())
	}
	switch {
	case kind == DefaultKind:
		if event != orderbot.NoticeManual {
			return "", "", fmt.Errorf("the generic %s template is for manual notices only; name it %s.manual.tmpl", DefaultKind, DefaultKind)
		}
	case !kind.Known():
		return "", "", fmt.Errorf("unknown kind %q", clip(string(kind), 40))
	case !customerFacing(kind):
		return "", "", fmt.Errorf("%s is an internal kind: customers get no notice about it", kind)
	}
	return kind, event, nil
}

func joinEvents() string {
	s := make([]string, len(orderbot.NoticeEvents))
	for i, e := range orderbot.NoticeEvents {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}

func readFile(fsys fs.FS, p string) (string, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return "", fmt.Errorf("cannot read: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return "", fmt.Errorf("cannot read: %w", err)
	}
	if len(b) > maxFileSize {
		return "", fmt.Errorf("larger than %d KiB", maxFileSize>>10)
	}
	return string(b), nil
}

// parseFile parses one template file, rel being its path under the templates
// directory and file the name errors show, and trial-renders it. It returns
// every problem it finds; the template is nil when there is any.
func parseFile(rel, file, locale, src string) (*tmpl, []error) {
	tt, err := texttemplate.New(rel).Parse(src)
	if err != nil {
		return nil, []error{fmt.Errorf("parse error: %w", err)}
	}
	var errs []error
	if tt.Tree != nil && !parse.IsEmptyTree(tt.Tree.Root) {
		errs = append(errs, errors.New(`text outside a section; put everything in {{define "subject"}}, {{define "sms"}}, {{define "text"}} or {{define "html"}} … {{end}}`))
	}
	var unknown []string
	for _, t := range tt.Templates() {
		switch t.Name() {
		case rel, sectionSubject, sectionSMS, sectionText, sectionHTML:
		default:
			unknown = append(unknown, t.Name())
		}
	}
	sort.Strings(unknown)
	for _, n := range unknown {
		errs = append(errs, fmt.Errorf("unknown section %q; valid: subject, sms, text, html", clip(n, 40)))
	}
	for _, n := range []string{sectionSubject, sectionSMS, sectionText} {
		if !defined(tt, n) {
			errs = append(errs, fmt.Errorf("missing required section %q", n))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	t := &tmpl{file: file, text: tt}
	if defined(tt, sectionHTML) {
		ht, err := htmltemplate.New(rel).Parse(src)
		if err != nil {
			return nil, []error{fmt.Errorf("parse error (html): %w", err)}
		}
		t.html = ht
	}
	for _, d := range sampleData() {
		if _, err := t.render(locale, newPlaceholders(locale, d)); err != nil {
			return nil, []error{fmt.Errorf("trial render failed: %w", err)}
		}
	}
	return t, nil
}

func defined(t *texttemplate.Template, name string) bool {
	d := t.Lookup(name)
	return d != nil && d.Tree != nil
}

// sampleData is what Load trial-renders each file with: everything known, and
// only what Render insists on, so templates must cope with both.
func sampleData() []Data {
	return []Data{
		{Shop: "Acme Outdoor", OrderName: "#1001", OrderID: "5501", CustomerName: "Alex Chen",
			TrackingNumber: "1Z999AA10123456784", Carrier: "UPS", TicketID: "T1024", Resolution: "refunded",
			ExpectedDelivery: time.Date(2025, 3, 7, 12, 0, 0, 0, time.UTC)},
		{Shop: "Acme Outdoor", OrderID: "5501"},
	}
}
