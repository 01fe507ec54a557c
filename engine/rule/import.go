package rule

// An Importer reads rule files of another format (a Sentinel analytic rule or hunting query) by
// translating them, in memory, into this package's rule language. It returns handled false for a
// file that is not of its format; for a file it cannot translate, an *Error at the file's place,
// with Skip set when the rest of the rules should still run.
type Importer func(path string, data []byte) (rule []byte, handled bool, err *Error)

var importers []Importer

// RegisterImporter adds an importer; package kqlimport registers the Sentinel one.
func RegisterImporter(i Importer) { importers = append(importers, i) }

func importFile(path string, data []byte) ([]byte, bool, *Error) {
	for _, i := range importers {
		if out, handled, err := i(path, data); handled {
			return out, true, err
		}
	}
	return nil, false, nil
}
