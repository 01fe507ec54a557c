module github.com/signin-detect/detect

go 1.26.8

require (
	github.com/expr-lang/expr v1.17.8 // indirect
	github.com/tidwall/gjson v1.20.2 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.3.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
