package kqlparse

import "testing"

// Each case is KQL written for this test and the tree it must give, printed by dump. The
// syntax follows https://learn.microsoft.com/kusto/query/ (the page of each construct) and
// Microsoft's grammar (github.com/microsoft/Kusto-Query-Language, grammar/Kql.g4).

func TestParseExpressions(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"42", "long:42"},
		{"-7", "(Unary Op=- X=long:7)"},
		{"1.5", "real:1.5"},
		{"1e3", "real:1000"},
		{"0x1F", "long:31"},
		{"true", "bool:true"},
		{"'it\\'s'", "\"it's\""},
		{"@\"C:\\path\\d+\"", "\"C:\\\\path\\\\d+\""},
		{"@'say ''hi'''", "\"say 'hi'\""},
		{"h\"secret\"", "\"secret\""},
		{"h@'C:\\x'", "\"C:\\\\x\""},
		{"\"a\" 'b' @\"c\"", "\"abc\""},
		{"```line1\nline2 \"q\"```", "\"line1\\nline2 \\\"q\\\"\""},
		{"datetime(2024-01-31)", "datetime:2024-01-31 00:00:00 +0000 UTC"},
		{"datetime(2024-01-31 10:00)", "datetime:2024-01-31 10:00:00 +0000 UTC"},
		{"datetime(2024-01-31T10:00:00.1234567Z)", "datetime:2024-01-31 10:00:00.1234567 +0000 UTC"},
		{"datetime(null)", "datetime(null)"},
		{"time(1.02:03:04.5)", "timespan:26h3m4.5s"},
		{"timespan(null)", "timespan(null)"},
		{"time(2)", "timespan:48h0m0s"},
		{"5m", "timespan:5m0s"},
		{"1.5h", "timespan:1h30m0s"},
		{"10d", "timespan:240h0m0s"},
		{"100ms", "timespan:100ms"},
		{"1tick", "timespan:100ns"},
		{"2days", "timespan:48h0m0s"},
		{"guid(74be27de-1e4e-49d9-b579-fe0b331d3642)", "guid:74be27de-1e4e-49d9-b579-fe0b331d3642"},
		{"dynamic(null)", "dynamic:<nil>"},
		{"dynamic([1, \"a\", true, null, -2.5])", "dynamic:[1 a true <nil> -2.5]"},
		{"dynamic({\"a\": [1, 2], \"b\": {\"c\": \"d\"}})", "dynamic:map[a:[1 2] b:map[c:d]]"},
		{"dynamic(5)", "dynamic:5"},
		{"int(null)", "int(null)"},
		{"long(-3)", "long:-3"},
		{"real(nan)", "real:NaN"},
		{"real(-inf)", "real:-Inf"},
		{"bool(false)", "bool:false"},
		{"decimal(1.25)", "decimal:1.25"},
		{"typeof(string)", "(TypeOf Type=string)"},
		{"a or b and c", "(or a (and b c))"},
		{"not(a) and b", "(and (Call Fn=not Args=[a]) b)"},
		{"a == 1 and b != 2 or c <> 3", "(or (and (== a long:1) (!= b long:2)) (<> c long:3))"},
		{"a < b + 1", "(< a (+ b long:1))"},
		{"a + b * c - d / e % f", "(- (+ a (* b c)) (% (/ d e) f))"},
		{"a + b has \"x\"", "(+ a (has b \"x\"))"},
		{"-a has \"x\"", "(has (Unary Op=- X=a) \"x\")"},
		{"a =~ \"x\" == true", "(== (=~ a \"x\") bool:true)"},
		{"a !~ \"x\"", "(!~ a \"x\")"},
		{"A has_cs \"x\" or A !has \"y\" or A !has_cs \"z\"", "(or (or (has_cs A \"x\") (!has A \"y\")) (!has_cs A \"z\"))"},
		{"A contains \"x\" and A !contains_cs \"y\" and A startswith \"s\" and A endswith_cs \"e\"", "(and (and (and (contains A \"x\") (!contains_cs A \"y\")) (startswith A \"s\")) (endswith_cs A \"e\"))"},
		{"A hasprefix \"p\" and A !hassuffix_cs \"s\"", "(and (hasprefix A \"p\") (!hassuffix_cs A \"s\"))"},
		{"A matches regex @\"\\d+\"", "(matches regex A \"\\\\d+\")"},
		{"A in (\"a\", \"b\")", "(In Op=in X=A Values=[\"a\" \"b\"])"},
		{"A !in (L)", "(In Op=!in X=A Values=[L])"},
		{"A in~ (\"a\")", "(In Op=in~ X=A Values=[\"a\"])"},
		{"A !in~ (\"a\")", "(In Op=!in~ X=A Values=[\"a\"])"},
		{"A has_any (L)", "(In Op=has_any X=A Values=[L])"},
		{"A has_all (\"a\", \"b\")", "(In Op=has_all X=A Values=[\"a\" \"b\"])"},
		{"A in (T | project C)", "(In Op=in X=A Values=[(Pipeline Source=T Ops=[(Project Columns=[(Assignment Value=C)])])])"},
		{"A between (1 .. 10)", "(Between X=A Low=long:1 High=long:10)"},
		{"T !between (ago(1h) .. 1h)", "(Between Not=true X=T Low=(Call Fn=ago Args=[timespan:1h0m0s]) High=timespan:1h0m0s)"},
		{"a.b.c", "(Member X=(Member X=a Name=b) Name=c)"},
		{"a[\"b\"][0]", "(Index X=(Index X=a Index=\"b\") Index=long:0)"},
		{"a.['b c']", "(Member X=a Name=b c)"},
		{"a.[0].b", "(Member X=(Index X=a Index=long:0) Name=b)"},
		{"['My Column']", "My Column"},
		{"$left.A == $right.B", "(== (Member X=$left Name=A) (Member X=$right Name=B))"},
		{"count()", "(Call Fn=count)"},
		{"arg_max(TimeGenerated, *)", "(Call Fn=arg_max Args=[TimeGenerated *])"},
		{"f(a, b = 2)", "(Call Fn=f Args=[a (NamedArg Name=b Value=long:2)])"},
		{"toscalar(T | summarize make_set(C))", "(Call Fn=toscalar Args=[(Pipeline Source=T Ops=[(Summarize Aggregates=[(Assignment Value=(Call Fn=make_set Args=[C]))])])])"},
		{"materialize(T | where A)", "(Call Fn=materialize Args=[(Pipeline Source=T Ops=[(Where Word=where Predicate=A)])])"},
		{"split(x, \"@\")[0]", "(Index X=(Call Fn=split Args=[x \"@\"]) Index=long:0)"},
		{"iff(a > 1, \"big\", \"small\")", "(Call Fn=iff Args=[(> a long:1) \"big\" \"small\"])"},
		{`"\a\b\f\v\r\x41\101\0\U0001F600'"`, `"\a\b\f\v\rAA\x00😀'"`},
		{"h```two\nlines```", `"two\nlines"`},
		{"~~~a ``` b~~~", "\"a ``` b\""},
		{"\"a\\\"b\\\\c\\n\\t\\u00e9\"", "\"a\\\"b\\\\c\\n\\té\""},
	} {
		x, err := ParseExpr(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		checkPositions(t, c.src, x)
		if got := dump(x); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

func TestParseLets(t *testing.T) {
	src := "let x = 5; let T2 = T | where A; let S = toscalar(T | summarize max(A));\n" +
		"let f = (T:(TimeGenerated:datetime, User:string), n:long = 5) { let m = n * 2; T | take m };\n" +
		"let v = view () { T };\nf(SigninLogs)"
	q, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	checkPositions(t, src, q)
	want := "[(Let Name=x Value=long:5) " +
		"(Let Name=T2 Value=(Pipeline Source=T Ops=[(Where Word=where Predicate=A)])) " +
		"(Let Name=S Value=(Call Fn=toscalar Args=[(Pipeline Source=T Ops=[(Summarize Aggregates=[(Assignment Value=(Call Fn=max Args=[A]))])])])) " +
		"(Let Name=f Value=(FuncDecl Params=[(Param Name=T Tabular=true Schema=[(ColumnDecl Name=TimeGenerated Type=datetime) (ColumnDecl Name=User Type=string)]) (Param Name=n Type=long Default=long:5)] " +
		"Body=(Query Lets=[(Let Name=m Value=(* n long:2))] Result=(Pipeline Source=T Ops=[(Take Word=take Count=m)])))) " +
		"(Let Name=v Value=(FuncDecl View=true Body=(Query Result=T)))]"
	if got := dump(q.Lets); got != want {
		t.Errorf("lets:\n got %s\nwant %s", got, want)
	}
}

func TestParseQueries(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"T", "T"},
		{"let x = 5; let y = \"a\"; T | where A == x", "(Pipeline Source=T Ops=[(Where Word=where Predicate=(== A x))])"},
		{"let S = materialize(T | where A > 1); S | join (S) on K", "(Pipeline Source=S Ops=[(Join Right=(Paren X=S) On=[K])])"},
		{"let f = (T:(TimeGenerated:datetime, User:string), n:long = 5) { let m = n * 2; T | take m }; f(SigninLogs)", "(Call Fn=f Args=[SigninLogs])"},
		{"let v = view () { T }; v", "v"},
		{"let g = (t:string) { table(t) | project A }; union g(\"A\"), g(\"B\")", "(Union Tables=[(Call Fn=g Args=[\"A\"]) (Call Fn=g Args=[\"B\"])])"},
		{"union kind=outer withsource=SourceTable isfuzzy=true SigninLogs, (AADNonInteractiveUserSignInLogs | where A), Signin*", "(Union Params=[(OpParam Name=kind Value=outer) (OpParam Name=withsource Value=SourceTable) (OpParam Name=isfuzzy Value=bool:true)] Tables=[SigninLogs (Paren X=(Pipeline Source=AADNonInteractiveUserSignInLogs Ops=[(Where Word=where Predicate=A)])) Signin*])"},
		{"T | union (T2), T3", "(Pipeline Source=T Ops=[(Union Tables=[(Paren X=T2) T3])])"},
		{"datatable(A:string, B:long) [\"x\", 1, \"y\", 2,]", "(Datatable Columns=[(ColumnDecl Name=A Type=string) (ColumnDecl Name=B Type=long)] Values=[\"x\" long:1 \"y\" long:2])"},
		{"externaldata(client_id:string) [@\"https://example.test/list.csv\"] with (format=\"csv\", ignoreFirstRecord=true)", "(ExternalData Columns=[(ColumnDecl Name=client_id Type=string)] URLs=[\"https://example.test/list.csv\"] With=[(OpParam Name=format Value=\"csv\") (OpParam Name=ignoreFirstRecord Value=bool:true)])"},
		{"range x from 1 to 10 step 2", "(Range Column=x Start=long:1 Stop=long:10 Step=long:2)"},
		{"print a = 1, \"b\"", "(Print Columns=[(Assignment Names=[a] Value=long:1) (Assignment Value=\"b\")])"},
		{"evaluate some_plugin(1)", "(EvaluateSource Evaluate=(Evaluate Plugin=(Call Fn=some_plugin Args=[long:1])))"},
		{"T | filter A | where hint.x=1 B", "(Pipeline Source=T Ops=[(Where Word=filter Predicate=A) (Where Word=where Params=[(OpParam Name=hint.x Value=long:1)] Predicate=B)])"},
		{"T | extend A = 1, B = A + 1, C", "(Pipeline Source=T Ops=[(Extend Columns=[(Assignment Names=[A] Value=long:1) (Assignment Names=[B] Value=(+ A long:1)) (Assignment Value=C)])])"},
		{"T | extend (S, I) = series_fit_line(Y)", "(Pipeline Source=T Ops=[(Extend Columns=[(Assignment Names=[S I] Value=(Call Fn=series_fit_line Args=[Y]))])])"},
		{"T | project A, New = Old, ['Odd Name'] = 1", "(Pipeline Source=T Ops=[(Project Columns=[(Assignment Value=A) (Assignment Names=[New] Value=Old) (Assignment Names=[Odd Name] Value=long:1)])])"},
		{"T | project-away A, B*, *C", "(Pipeline Source=T Ops=[(ProjectAway Columns=[A B* *C])])"},
		{"T | project-keep A*, B", "(Pipeline Source=T Ops=[(ProjectKeep Columns=[A* B])])"},
		{"T | project-rename New = Old, N2 = ['old 2']", "(Pipeline Source=T Ops=[(ProjectRename Columns=[(Assignment Names=[New] Value=Old) (Assignment Names=[N2] Value=old 2)])])"},
		{"T | project-reorder B desc, A* asc, C granny-asc", "(Pipeline Source=T Ops=[(ProjectReorder Columns=[(SortKey Expr=B Order=desc) (SortKey Expr=A* Order=asc) (SortKey Expr=C Order=granny-asc)])])"},
		{"T | summarize by A", "(Pipeline Source=T Ops=[(Summarize By=[(Assignment Value=A)])])"},
		{"T | summarize count(), N = dcount(U), (Time, Row) = arg_max(T, *) by K, bin(TimeGenerated, 1h)", "(Pipeline Source=T Ops=[(Summarize Aggregates=[(Assignment Value=(Call Fn=count)) (Assignment Names=[N] Value=(Call Fn=dcount Args=[U])) (Assignment Names=[Time Row] Value=(Call Fn=arg_max Args=[T *]))] By=[(Assignment Value=K) (Assignment Value=(Call Fn=bin Args=[TimeGenerated timespan:1h0m0s]))])])"},
		{"T | summarize hint.shufflekey=K count() by K", "(Pipeline Source=T Ops=[(Summarize Params=[(OpParam Name=hint.shufflekey Value=K)] Aggregates=[(Assignment Value=(Call Fn=count))] By=[(Assignment Value=K)])])"},
		{"T | summarize S = count(), by K", "(Pipeline Source=T Ops=[(Summarize Aggregates=[(Assignment Names=[S] Value=(Call Fn=count))] By=[(Assignment Value=K)])])"},
		{"T | join kind=inner T2 on K", "(Pipeline Source=T Ops=[(Join Params=[(OpParam Name=kind Value=inner)] Right=T2 On=[K])])"},
		{"T | join kind = leftanti hint.remote=left (T2 | where X) on $left.A == $right.B and $left.C == $right.D", "(Pipeline Source=T Ops=[(Join Params=[(OpParam Name=kind Value=leftanti) (OpParam Name=hint.remote Value=left)] Right=(Paren X=(Pipeline Source=T2 Ops=[(Where Word=where Predicate=X)])) On=[(and (== (Member X=$left Name=A) (Member X=$right Name=B)) (== (Member X=$left Name=C) (Member X=$right Name=D)))])])"},
		{"T | lookup kind=leftouter (D) on K", "(Pipeline Source=T Ops=[(Lookup Params=[(OpParam Name=kind Value=leftouter)] Right=(Paren X=D) On=[K])])"},
		{"T | mv-expand A", "(Pipeline Source=T Ops=[(MvExpand Word=mv-expand Columns=[(MvExpandColumn Column=(Assignment Value=A))])])"},
		{"T | mvexpand A limit 5", "(Pipeline Source=T Ops=[(MvExpand Word=mvexpand Columns=[(MvExpandColumn Column=(Assignment Value=A))] Limit=long:5)])"},
		{"T | mv-expand bagexpansion=array with_itemindex=Ix B = todynamic(S) to typeof(string), C to typeof(long) limit 100", "(Pipeline Source=T Ops=[(MvExpand Word=mv-expand Params=[(OpParam Name=bagexpansion Value=array) (OpParam Name=with_itemindex Value=Ix)] Columns=[(MvExpandColumn Column=(Assignment Names=[B] Value=(Call Fn=todynamic Args=[S])) ToType=string) (MvExpandColumn Column=(Assignment Value=C) ToType=long)] ItemIndex=Ix Limit=long:100)])"},
		{"T | mv-apply Item = Items to typeof(dynamic) on (where Item.k == 1 | summarize make_list(Item) | top 1 by X)", "(Pipeline Source=T Ops=[(MvApply Columns=[(MvExpandColumn Column=(Assignment Names=[Item] Value=Items) ToType=dynamic)] Subquery=[(Where Word=where Predicate=(== (Member X=Item Name=k) long:1)) (Summarize Aggregates=[(Assignment Value=(Call Fn=make_list Args=[Item]))]) (Top Count=long:1 By=[(SortKey Expr=X)])])])"},
		{"T | mv-apply with_itemindex=i x = xs limit 3 on (take 1)", "(Pipeline Source=T Ops=[(MvApply Params=[(OpParam Name=with_itemindex Value=i)] ItemIndex=i Columns=[(MvExpandColumn Column=(Assignment Names=[x] Value=xs))] Limit=long:3 Subquery=[(Take Word=take Count=long:1)])])"},
		{"T | make-series Count = count() default = 0, dcount(U) on TimeGenerated from ago(7d) to now() step 1d by K", "(Pipeline Source=T Ops=[(MakeSeries Aggregates=[(MakeSeriesAggregate Column=(Assignment Names=[Count] Value=(Call Fn=count)) Default=long:0) (MakeSeriesAggregate Column=(Assignment Value=(Call Fn=dcount Args=[U])))] On=TimeGenerated From=(Call Fn=ago Args=[timespan:168h0m0s]) To=(Call Fn=now) Step=timespan:24h0m0s By=[(Assignment Value=K)])])"},
		{"T | make-series n = count() on TimeGenerated in range(ago(7d), now(), 1d)", "(Pipeline Source=T Ops=[(MakeSeries Aggregates=[(MakeSeriesAggregate Column=(Assignment Names=[n] Value=(Call Fn=count)))] On=TimeGenerated From=(Call Fn=ago Args=[timespan:168h0m0s]) To=(Call Fn=now) Step=timespan:24h0m0s InRange=true)])"},
		{"T | make-series n = count() on TimeGenerated step 1h", "(Pipeline Source=T Ops=[(MakeSeries Aggregates=[(MakeSeriesAggregate Column=(Assignment Names=[n] Value=(Call Fn=count)))] On=TimeGenerated Step=timespan:1h0m0s)])"},
		{"T | sort by A", "(Pipeline Source=T Ops=[(Sort Word=sort By=[(SortKey Expr=A)])])"},
		{"T | order by A asc nulls last, B desc nulls first, C", "(Pipeline Source=T Ops=[(Sort Word=order By=[(SortKey Expr=A Order=asc Nulls=last) (SortKey Expr=B Order=desc Nulls=first) (SortKey Expr=C)])])"},
		{"T | top 5 by A desc nulls last", "(Pipeline Source=T Ops=[(Top Count=long:5 By=[(SortKey Expr=A Order=desc Nulls=last)])])"},
		{"T | take 10 | limit 5", "(Pipeline Source=T Ops=[(Take Word=take Count=long:10) (Take Word=limit Count=long:5)])"},
		{"T | distinct *", "(Pipeline Source=T Ops=[(Distinct Columns=[*])])"},
		{"T | distinct A, B", "(Pipeline Source=T Ops=[(Distinct Columns=[A B])])"},
		{"T | count", "(Pipeline Source=T Ops=[(Count)])"},
		{"T | count as N", "(Pipeline Source=T Ops=[(Count As=N)])"},
		{"T | serialize | serialize R = row_number()", "(Pipeline Source=T Ops=[(Serialize) (Serialize Columns=[(Assignment Names=[R] Value=(Call Fn=row_number))])])"},
		{"T | parse Msg with * \"user=\" User:string \" ip=\" IP *", "(Pipeline Source=T Ops=[(ParseOp Word=parse Source=Msg Pattern=[(ParsePart Star=true) (ParsePart Literal=\"user=\") (ParsePart Column=(ColumnDecl Name=User Type=string)) (ParsePart Literal=\" ip=\") (ParsePart Column=(ColumnDecl Name=IP)) (ParsePart Star=true)])])"},
		{"T | parse kind=regex flags=Ui Msg with @\"(\\d+)\" N:long", "(Pipeline Source=T Ops=[(ParseOp Word=parse Params=[(OpParam Name=kind Value=regex) (OpParam Name=flags Value=Ui)] Source=Msg Pattern=[(ParsePart Literal=\"(\\\\d+)\") (ParsePart Column=(ColumnDecl Name=N Type=long))])])"},
		{"T | parse-where kind=simple Msg with \"a\" X", "(Pipeline Source=T Ops=[(ParseOp Word=parse-where Params=[(OpParam Name=kind Value=simple)] Source=Msg Pattern=[(ParsePart Literal=\"a\") (ParsePart Column=(ColumnDecl Name=X))])])"},
		{"T | evaluate ipv4_lookup(Ranges, IPAddress, Network, return_unmatched = true)", "(Pipeline Source=T Ops=[(Evaluate Plugin=(Call Fn=ipv4_lookup Args=[Ranges IPAddress Network (NamedArg Name=return_unmatched Value=bool:true)]))])"},
		{"T | invoke f(1)", "(Pipeline Source=T Ops=[(Invoke Call=(Call Fn=f Args=[long:1]))])"},
		{"T | as hint.materialized=true X | getschema", "(Pipeline Source=T Ops=[(As Params=[(OpParam Name=hint.materialized Value=bool:true)] Alias=X) (Getschema)])"},
		{"T | render timechart", "(Pipeline Source=T Ops=[(Render Visualization=timechart)])"},
		{"T | render timechart with (title=\"t\", ytitle=\"y\")", "(Pipeline Source=T Ops=[(Render Visualization=timechart With=[(OpParam Name=title Value=\"t\") (OpParam Name=ytitle Value=\"y\")])])"},
		{"T | sample 3", "(Pipeline Source=T Ops=[(Sample Count=long:3)])"},
		// Digits followed by letters that are no timespan unit are a name (Microsoft's lexer).
		{"T | project 3Dchart, 10mins, 5microsec", "(Pipeline Source=T Ops=[(Project Columns=[(Assignment Value=3Dchart) (Assignment Value=10mins) (Assignment Value=timespan:5µs)])])"},
		{"union isfuzzy=True A, B\u00a0| where X == TRUE or Y == False", "(Pipeline Source=(Union Params=[(OpParam Name=isfuzzy Value=bool:true)] Tables=[A B]) Ops=[(Where Word=where Predicate=(or (== X bool:true) (== Y bool:false)))])"},
		{"T | where A in (toscalar(T2 | summarize make_set(B)))", "(Pipeline Source=T Ops=[(Where Word=where Predicate=(In Op=in X=A Values=[(Call Fn=toscalar Args=[(Pipeline Source=T2 Ops=[(Summarize Aggregates=[(Assignment Value=(Call Fn=make_set Args=[B]))])])])]))])"},
	} {
		q, err := Parse(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		checkPositions(t, c.src, q)
		if got := dump(q.Result); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}
