package rule

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// LoadPaths loads the rules in paths: rule files, and folders searched recursively for *.yaml and
// *.yml files (files named *.test.yaml hold rule tests, not rules). Every problem in every file
// is reported, as Errors; only the rules without problems are returned.
//
// A rule pack is confined to its folder: the files a rule reads (its base, through extends, and
// its lookups) must lie inside the folder named in paths, or the folder of the rule file named
// there, symlinks resolved, unless they lie inside one of allowOutside. They must be regular
// files (not a device, FIFO or socket) within the size limits of a rule or a lookup.
func LoadPaths(paths []string, allowOutside ...string) ([]*Rule, error) {
	rules, faulty, err := loadPaths(paths, allowOutside)
	var sound []*Rule
	for _, r := range rules {
		if !faulty[r] {
			sound = append(sound, r)
		}
	}
	return sound, err
}

// LoadAll is LoadPaths for checking: it also returns the rules that have problems, as far as
// they could be read, so that the problems of later steps (planning them) can be found too.
func LoadAll(paths []string, allowOutside ...string) ([]*Rule, error) {
	rules, _, err := loadPaths(paths, allowOutside)
	return rules, err
}

func loadPaths(paths, allowOutside []string) ([]*Rule, map[*Rule]bool, error) {
	var files []string
	var errs Errors
	roots := map[string]string{} // the folder each file is confined to
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			errs.Add(Position{File: p}, "%v", unwrapPathError(err))
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			roots[filepath.Clean(p)] = filepath.Dir(p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, entry fs.DirEntry, err error) error {
			if err != nil {
				errs.Add(Position{File: path}, "%v", unwrapPathError(err))
				return nil
			}
			if entry.IsDir() && entry.Name() == "tables" && path != p {
				// A rule folder's tables/ holds the schemas of the tables its rules read.
				return filepath.SkipDir
			}
			if isRuleFile(path, entry) {
				files = append(files, path)
				roots[filepath.Clean(path)] = p
			}
			return nil
		})
		if err != nil {
			errs.Add(Position{File: p}, "%v", err)
		}
	}
	sort.Strings(files)
	var rules []*Rule
	l := newLoader(&errs)
	l.allowOutside = allowOutside
	for _, f := range files {
		if r := l.load(f, roots[filepath.Clean(f)]); r != nil {
			rules = append(rules, r)
		}
	}
	if len(files) == 0 && len(errs) == 0 {
		errs.Add(Position{File: strings.Join(paths, ", ")}, "no rule files (*.yaml) found")
	}
	faulty := map[*Rule]bool{}
	for _, r := range rules {
		faulty[r] = l.faulty[r.File]
	}
	return rules, faulty, errs.Err()
}

func isRuleFile(path string, entry fs.DirEntry) bool {
	name := entry.Name()
	if entry.IsDir() || strings.HasSuffix(name, ".test.yaml") || strings.HasSuffix(name, ".test.yml") {
		return false
	}
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Load loads one rule file, confined to its folder.
func Load(path string) (*Rule, error) {
	var errs Errors
	r := newLoader(&errs).load(path, filepath.Dir(path))
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// loader loads rule files, resolving each variant's base once.
type loader struct {
	errs   *Errors
	loaded map[string]*Rule
	// faulty holds the files with problems, and the variants of such files.
	faulty map[string]bool
	// loading holds the files whose bases are being resolved, to catch a variant chain that loops.
	loading map[string]bool
	// allowOutside are the folders (or files) outside a rule's own folder that it may read.
	allowOutside []string
}

func newLoader(errs *Errors) *loader {
	return &loader{errs: errs, loaded: map[string]*Rule{}, loading: map[string]bool{}, faulty: map[string]bool{}}
}

// load loads the rule file at path, whose files must lie inside root.
func (l *loader) load(path, root string) *Rule {
	path = filepath.Clean(path)
	if r, ok := l.loaded[path]; ok {
		return r
	}
	data, err := readConfined(path, root, l.allowOutside, maxRuleSize)
	if err != nil {
		l.errs.Add(Position{File: path}, "cannot read rule: %v", err)
		return nil
	}
	before := len(*l.errs)
	l.loaded[path] = nil // a file is read and reported once, even when it cannot be used
	l.faulty[path] = true
	imported, places, handled, importErr := importFile(path, data)
	if handled {
		if importErr != nil {
			*l.errs = append(*l.errs, importErr)
			return nil
		}
		data = imported
	}
	// A translation's own problems are placed where what it ports is in the original file.
	errs := l.errs
	if handled {
		errs = &Errors{}
		defer func() {
			for _, e := range *errs {
				if e.Pos.Line >= 1 && e.Pos.Line <= len(places) && places[e.Pos.Line-1].Line > 0 {
					e.Pos = places[e.Pos.Line-1]
				} else {
					e.Pos = Position{File: path}
				}
				*l.errs = append(*l.errs, e)
			}
			l.faulty[path] = l.faulty[path] || len(*errs) > 0
		}()
	}
	doc := decodeDocument(path, data, errs)
	if doc == nil {
		return nil
	}
	var r *Rule
	if doc.extends == "" {
		r = &Rule{File: path, Meta: doc.meta, Params: doc.params, Lookups: doc.lookups, Lets: doc.lets, Stages: doc.stages}
		l.resolveLookupFiles(r.Lookups, path, root)
	} else {
		r = l.variant(doc, root)
	}
	if r == nil {
		return nil
	}
	checkNames(r, errs)
	if handled {
		placeImported(r, places)
	}
	l.loaded[path] = r
	l.faulty[path] = len(*l.errs) > before || (r.Base != "" && l.faulty[r.Base])
	return r
}

// resolveLookupFiles makes each lookup's file relative to the rule file that declares it, and
// checks that it is a file the rule may read: inside root, regular, within maxLookupSize.
func (l *loader) resolveLookupFiles(lookups []*Lookup, ruleFile, root string) {
	for _, lk := range lookups {
		if !filepath.IsAbs(lk.File) {
			lk.File = filepath.Join(filepath.Dir(ruleFile), lk.File)
		}
		if _, err := os.Lstat(lk.File); errors.Is(err, fs.ErrNotExist) {
			continue // reported where the lookup is read, with its column
		}
		if err := confined(lk.File, root, l.allowOutside, maxLookupSize); err != nil {
			l.errs.Add(lk.Pos, "lookup %s: %s: %v", lk.Name, lk.File, err)
		}
	}
}

// variant builds a rule from its base and the differences doc states.
func (l *loader) variant(doc *document, root string) *Rule {
	basePath := doc.extends
	if !filepath.IsAbs(basePath) {
		basePath = filepath.Join(filepath.Dir(doc.file), basePath)
	}
	basePath = filepath.Clean(basePath)
	if l.loading[basePath] || basePath == doc.file {
		l.errs.Add(doc.extendsPos, "extends %s makes a loop of variants", doc.extends)
		return nil
	}
	if err := confined(basePath, root, l.allowOutside, maxRuleSize); err != nil {
		l.errs.Add(doc.extendsPos, "base rule %s: %v", basePath, err)
		return nil
	}
	l.loading[doc.file] = true
	base := l.load(basePath, root)
	delete(l.loading, doc.file)
	if base == nil {
		if !l.faulty[basePath] {
			l.errs.Add(doc.extendsPos, "base rule %s cannot be read", basePath)
		}
		return nil // its problems are reported with its own file
	}
	r := &Rule{File: doc.file, Base: basePath, Meta: inheritMeta(base.Meta, doc), Stages: cloneStages(base.Stages)}
	if r.Meta.Union != nil {
		r.Meta.Union = cloneUnion(r.Meta.Union)
	}
	r.Params = mergeParams(base.Params, doc.params, l.errs)
	l.resolveLookupFiles(doc.lookups, doc.file, root)
	r.Lookups = mergeLookups(base.Lookups, doc.lookups)
	r.Lets = mergeLets(base.Lets, doc.lets)
	for _, ed := range doc.edits {
		applyEdit(r, ed, l.errs)
	}
	return r
}

// inheritMeta takes the base's metadata for every key the variant does not set.
func inheritMeta(base Metadata, doc *document) Metadata {
	m, own, set := base, doc.meta, doc.metaSet
	for key, field := range map[string]func(){
		"id": func() { m.ID = own.ID }, "name": func() { m.Name = own.Name },
		"description": func() { m.Description = own.Description }, "severity": func() { m.Severity = own.Severity },
		"tactics": func() { m.Tactics = own.Tactics }, "relevantTechniques": func() { m.RelevantTechniques = own.RelevantTechniques },
		"queryPeriod": func() { m.QueryPeriod = own.QueryPeriod },
		"table":       func() { m.Table, m.Tables, m.From, m.Union = own.Table, own.Tables, "", nil },
		"from":        func() { m.Table, m.Tables, m.From, m.FromPos, m.Union = "", nil, own.From, own.FromPos, nil },
		"union":       func() { m.Table, m.Tables, m.From, m.Union = "", nil, "", own.Union },
		"references":  func() { m.References = own.References }, "author": func() { m.Author = own.Author },
		"version": func() { m.Version = own.Version }, "queryFrequency": func() { m.QueryFrequency = own.QueryFrequency },
		"triggerOperator": func() { m.TriggerOperator = own.TriggerOperator }, "triggerThreshold": func() { m.TriggerThreshold = own.TriggerThreshold },
		"entityMappings": func() { m.EntityMappings = own.EntityMappings }, "customDetails": func() { m.CustomDetails = own.CustomDetails },
	} {
		if set[key] {
			field()
		}
	}
	return m
}

func mergeParams(base, own []*Param, errs *Errors) []*Param {
	out := make([]*Param, 0, len(base)+len(own))
	index := map[string]int{}
	for _, p := range base {
		index[p.Name] = len(out)
		out = append(out, p)
	}
	for _, p := range own {
		i, ok := index[p.Name]
		if !ok {
			index[p.Name] = len(out)
			out = append(out, p)
			continue
		}
		if want, got := ParamType(out[i].Value), ParamType(p.Value); want != got {
			errs.Add(p.Pos, "param %s is %s in the base rule (%s); here it is %s", p.Name, want, out[i].Pos, got)
			continue
		}
		out[i] = p
	}
	return out
}

func mergeLookups(base, own []*Lookup) []*Lookup {
	return replaceOrAppend(base, own, func(l *Lookup) string { return l.Name })
}

// mergeLets copies the base's lets (deeply, for the variant's edits may reach into their stages),
// replacing those the variant redefines and adding its new ones at the end.
func mergeLets(base, own []*Let) []*Let {
	copied := make([]*Let, 0, len(base))
	for _, l := range base {
		c := *l
		c.Stages = cloneStages(l.Stages)
		if l.Union != nil {
			c.Union = cloneUnion(l.Union)
		}
		copied = append(copied, &c)
	}
	return replaceOrAppend(copied, own, func(l *Let) string { return l.Name })
}

// cloneStages copies a stage list deeply enough that a variant's edits, which may reach into a
// join's right side, never change its base.
func cloneStages(stages []*Stage) []*Stage {
	out := make([]*Stage, len(stages))
	for i, s := range stages {
		c := *s
		if s.Join != nil {
			j := *s.Join
			j.Right = cloneStages(s.Join.Right)
			c.Join = &j
		}
		if s.Union != nil {
			c.Union = cloneUnion(s.Union)
		}
		out[i] = &c
	}
	return out
}

// findStage finds the list holding the stage called name, searching join right sides too.
func findStage(list *[]*Stage, name string) (*[]*Stage, int) {
	for i, s := range *list {
		if s.Name == name {
			return list, i
		}
		if s.Join != nil {
			if l, j := findStage(&s.Join.Right, name); l != nil {
				return l, j
			}
		}
		if s.Union != nil {
			for _, op := range s.Union.Operands {
				if l, j := findStage(&op.Stages, name); l != nil {
					return l, j
				}
			}
		}
	}
	return nil, -1
}

func applyEdit(r *Rule, ed *edit, errs *Errors) {
	if ed.op == "append" {
		r.Stages = append(r.Stages, ed.stage)
		return
	}
	list, i := findStage(&r.Stages, ed.target)
	unions := []*UnionSpec{r.Meta.Union}
	for _, l := range r.Lets {
		if list == nil {
			list, i = findStage(&l.Stages, ed.target)
		}
		unions = append(unions, l.Union)
	}
	for _, u := range unions {
		for _, op := range unionOperands(u) {
			if list == nil {
				list, i = findStage(&op.Stages, ed.target)
			}
		}
	}
	if list == nil {
		var names []string
		for _, l := range r.Lets {
			names = append(names, stageNames(l.Stages)...)
		}
		names = append(names, stageNames(r.Stages)...)
		errs.Add(ed.pos, "%s %q: the base rule has no stage of that name (its stages: %s)", ed.op, ed.target, strings.Join(names, ", "))
		return
	}
	s := *list
	switch ed.op {
	case "replace":
		s[i] = ed.stage
	case "update":
		updated, err := updateStage(s[i], ed.stage)
		if err != nil {
			errs.Add(ed.pos, "update %q: %v", ed.target, err)
			return
		}
		s[i] = updated
	case "remove":
		s = append(s[:i:i], s[i+1:]...)
	case "after":
		s = append(s[:i+1:i+1], append([]*Stage{ed.stage}, s[i+1:]...)...)
	case "before":
		s = append(s[:i:i], append([]*Stage{ed.stage}, s[i:]...)...)
	}
	*list = s
}

// updateStage changes the columns of a project, extend or project-rename that a variant names
// and keeps the rest: a listed column replaces the one of the same name in place, or is added at
// the end.
func updateStage(base, changes *Stage) (*Stage, error) {
	if changes.Kind != base.Kind {
		return nil, fmt.Errorf("the stage is a %s; an update of it must be a %s too", base.Kind, base.Kind)
	}
	out := *base
	switch base.Kind {
	case Project, Extend:
		out.Columns = replaceOrAppend(base.Columns, changes.Columns, func(a *Assignment) string { return a.Column })
	case ProjectRename:
		out.Renames = replaceOrAppend(base.Renames, changes.Renames, func(r *Rename) string { return r.New })
	default:
		return nil, fmt.Errorf("update changes columns of a project, extend or project-rename; use replace for a %s", base.Kind)
	}
	return &out, nil
}

// replaceOrAppend puts each change in place of the item of base with the same key, or at the end.
func replaceOrAppend[T any](base, changes []T, key func(T) string) []T {
	out := append([]T(nil), base...)
	for _, c := range changes {
		replaced := false
		for i, b := range out {
			if key(b) == key(c) {
				out[i], replaced = c, true
			}
		}
		if !replaced {
			out = append(out, c)
		}
	}
	return out
}

func stageNames(stages []*Stage) []string {
	var out []string
	for _, s := range stages {
		if s.Name != "" {
			out = append(out, s.Name)
		}
		if s.Join != nil {
			out = append(out, stageNames(s.Join.Right)...)
		}
		if s.Union != nil {
			for _, op := range s.Union.Operands {
				out = append(out, stageNames(op.Stages)...)
			}
		}
	}
	return out
}

// checkNames reports stage names used twice (a variant could not tell which one it means), a let
// named like a stage (a join's from could not tell which one it means), and params, lookups and
// lets that share a name (expressions read them by name).
func checkNames(r *Rule, errs *Errors) {
	seen := map[string]Position{}
	var walk func([]*Stage)
	walk = func(stages []*Stage) {
		for _, s := range stages {
			if s.Name != "" {
				if first, dup := seen[s.Name]; dup {
					errs.Add(s.Pos, "stage name %q is already used at %s", s.Name, first)
				} else {
					seen[s.Name] = s.Pos
				}
			}
			if s.Join != nil {
				walk(s.Join.Right)
			}
			if s.Union != nil {
				for _, op := range s.Union.Operands {
					walk(op.Stages)
				}
			}
		}
	}
	for _, l := range r.Lets {
		walk(l.Stages)
	}
	walk(r.Stages)
	names := map[string]Position{}
	for _, p := range r.Params {
		names[p.Name] = p.Pos
	}
	for _, lk := range r.Lookups {
		if first, dup := names[lk.Name]; dup {
			errs.Add(lk.Pos, "lookup %s has the name of the param at %s", lk.Name, first)
		}
		names[lk.Name] = lk.Pos
	}
	for _, l := range r.Lets {
		if first, dup := names[l.Name]; dup {
			errs.Add(l.Pos, "let %s has the name of the param or lookup at %s", l.Name, first)
		}
		if first, dup := seen[l.Name]; dup {
			errs.Add(l.Pos, "let %s has the name of the stage at %s", l.Name, first)
		}
	}
}

// ParamType names the type of a param value for messages and overrides.
func ParamType(v any) string {
	switch v.(type) {
	case int64:
		return "a whole number"
	case float64:
		return "a number"
	case bool:
		return "a bool"
	case string:
		return "a string"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

// SetParam overrides a param from text (the command line's --set NAME=VALUE), read as the param's
// type: a list is written comma-separated.
func (r *Rule) SetParam(name, text string) error {
	p := r.param(name)
	if p == nil {
		return fmt.Errorf("--set %s: rule %s has no param %s", name, r.File, name)
	}
	var value any
	var err error
	switch p.Value.(type) {
	case int64:
		value, err = strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	case float64:
		value, err = strconv.ParseFloat(strings.TrimSpace(text), 64)
	case bool:
		value, err = strconv.ParseBool(strings.TrimSpace(text))
	case string:
		value = text
	case []any:
		var items []any
		for _, item := range strings.Split(text, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		value = items
	}
	if err != nil {
		return fmt.Errorf("--set %s=%s: param %s is %s", name, text, name, ParamType(p.Value))
	}
	return r.SetParamValue(name, value)
}

// SetParamValue overrides a param with a value of its type.
func (r *Rule) SetParamValue(name string, value any) error {
	for i, p := range r.Params {
		if p.Name != name {
			continue
		}
		if want, got := ParamType(p.Value), ParamType(value); want != got {
			return fmt.Errorf("param %s is %s, not %s", name, want, got)
		}
		copied := *p // a variant shares its base's params: replace, never change, them
		copied.Value = value
		r.Params[i] = &copied
		return nil
	}
	return fmt.Errorf("rule %s has no param %s", r.File, name)
}

func (r *Rule) param(name string) *Param {
	for _, p := range r.Params {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Clone copies r so that param overrides and stage changes on the copy leave r as it is.
func (r *Rule) Clone() *Rule {
	c := *r
	c.Params = append([]*Param(nil), r.Params...)
	c.Stages = cloneStages(r.Stages)
	return &c
}

// HasParam tells whether the rule declares a param called name.
func (r *Rule) HasParam(name string) bool { return r.param(name) != nil }

// ReadLookup reads the list in column of the CSV file at path: every row after the header, blank
// lines and lines starting with # skipped. The file must be a regular file of at most
// maxLookupSize. No message quotes the file's text: a lookup may name any file.
func ReadLookup(path, column string) ([]any, error) {
	if err := regularWithin(path, maxLookupSize); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	buffered := bufio.NewReader(io.LimitReader(f, maxLookupSize))
	if bom, _ := buffered.Peek(3); string(bom) == "\ufeff" {
		buffered.Discard(3)
	}
	reader := csv.NewReader(buffered)
	reader.Comment = '#'
	reader.FieldsPerRecord = -1
	header, err := reader.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s is empty: it needs a header row naming its columns", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	col := -1
	for i, name := range header {
		if strings.TrimSpace(name) == column {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("%s has no column %q in its header row (of %d columns)", path, column, len(header))
	}
	var values []any
	for {
		row, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if col < len(row) {
			values = append(values, strings.TrimSpace(row[col]))
		}
	}
	return values, nil
}

// cloneUnion copies a union deeply enough that a variant's edits of its operands' stages never
// change its base.
func cloneUnion(u *UnionSpec) *UnionSpec {
	c := *u
	c.Operands = make([]*UnionOperand, len(u.Operands))
	for i, op := range u.Operands {
		o := *op
		o.Stages = cloneStages(op.Stages)
		c.Operands[i] = &o
	}
	return &c
}

func unionOperands(u *UnionSpec) []*UnionOperand {
	if u == nil {
		return nil
	}
	return u.Operands
}
