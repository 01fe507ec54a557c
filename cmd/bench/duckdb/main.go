// Command duckdb is the baseline `make bench` measures detect against: the FOCI V2 detection
// (rules/foci/v2.yaml, a port of the published Sentinel query) written as SQL and run by DuckDB
// over the same NDJSON sign-in exports. It is a module of its own, so that detect never depends on
// DuckDB (which needs cgo, and whose library the Go module proxy serves once, about 60 MB).
//
// It writes the alerts as NDJSON on standard output, with the columns V2 projects, and a summary on
// standard error, as `detect run` does. With -check FILE (the alerts of `detect run --rule
// rules/foci/v2.yaml --now latest` over the same input), it compares the two sets of alerts on
// their key columns and exits with status 1 when they differ.
//
// Usage:
//
//	duckdb [-clients rules/foci/foci-clients.csv] [-now latest|RFC3339] [-threads N]
//	       [-memory-limit SIZE] [-check ALERTS.ndjson] [-q] FILE...
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	clients := flag.String("clients", "rules/foci/foci-clients.csv", "the FOCI client list (the lookup FociClientApplications: column client_id, # comments)")
	now := flag.String("now", "latest", "the time the 6h lookback counts from: RFC 3339, or latest for the newest TimeGenerated of the input")
	threads := flag.Int("threads", 0, "DuckDB's threads (0: its default, one per core)")
	memoryLimit := flag.String("memory-limit", "", "DuckDB's memory_limit (default: its own, 80% of the machine's memory)")
	check := flag.String("check", "", "detect's alerts (NDJSON) over the same input: compare them with DuckDB's on their key columns")
	quiet := flag.Bool("q", false, "write no alerts, only the summary")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: duckdb [flags] FILE...")
		os.Exit(2)
	}
	err := run(flag.Args(), *clients, *now, *threads, *memoryLimit, *check, *quiet)
	if err != nil {
		fmt.Fprintf(os.Stderr, "duckdb: %v\n", err)
		os.Exit(1)
	}
}

func run(files []string, clientsFile, now string, threads int, memoryLimit, check string, quiet bool) error {
	clients, err := readClients(clientsFile)
	if err != nil {
		return err
	}
	anchor := "(SELECT max(TimeGenerated) FROM signins)"
	if now != "latest" {
		at, err := time.Parse(time.RFC3339Nano, now)
		if err != nil {
			return fmt.Errorf("-now: %w", err)
		}
		anchor = "TIMESTAMP_NS " + quote(at.UTC().Format("2006-01-02 15:04:05.999999999"))
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Alerts need no order, so DuckDB may keep none while reading (less memory).
	settings := []string{"SET preserve_insertion_order = false"}
	if threads > 0 {
		settings = append(settings, fmt.Sprintf("SET threads = %d", threads))
	}
	if memoryLimit != "" {
		settings = append(settings, "SET memory_limit = "+quote(memoryLimit))
	}
	for _, s := range settings {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	rows, err := conn.QueryContext(ctx, query(files, clients, anchor))
	if err != nil {
		return err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return err
	}
	alerts, err := writeAlerts(rows, names, os.Stdout, quiet)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "summary: %s, %d alerts\n", strings.Join(files, " "), len(alerts))
	if check == "" {
		return nil
	}
	return compare(alerts, names, check)
}

// columns are the columns V2 reads, all read as text (the export's JSON-typed columns are strings,
// and ResultType is a string column in Log Analytics); a missing or null one is the empty string,
// as a KQL string column is never null (https://learn.microsoft.com/kusto/query/scalar-data-types/string).
var columns = []string{
	"TimeGenerated", "HomeTenantId", "ResourceTenantId", "AppId", "AppDisplayName", "IncomingTokenType",
	"SessionId", "UserPrincipalName", "AuthenticationProcessingDetails", "ResultType", "ResultDescription",
	"Identity", "Location", "ClientAppUsed", "DeviceDetail", "IPAddress", "LocationDetails", "UserAgent",
	"ResourceIdentity",
}

// timeGenerated is TimeGenerated as a timestamp with its 100 ns ticks (TIMESTAMP_NS: DuckDB's
// TIMESTAMP keeps microseconds, and its TIMESTAMPTZ too). A cast to TIMESTAMP_NS ignores a UTC
// offset, so a time written with one (10:40:00.5+02:00) has it taken off; the common form, ending
// in Z, skips the regular expression.
const timeGenerated = `CASE WHEN ends_with(TimeGenerated, 'Z') THEN CAST(TimeGenerated AS TIMESTAMP_NS)
		ELSE CAST(TimeGenerated AS TIMESTAMP_NS) - to_minutes(coalesce(
			CAST(regexp_extract(TimeGenerated, '([+-]\d\d):?\d\d$', 1) AS INTEGER) * 60
			+ CAST(regexp_extract(TimeGenerated, '([+-])\d\d:?(\d\d)$', 1) || regexp_extract(TimeGenerated, '[+-]\d\d:?(\d\d)$', 1) AS INTEGER),
			0)) END AS TimeGenerated`

// secondLoginApps is V2's parameter of that name.
var secondLoginApps = []string{
	"Microsoft Azure CLI", "Copilot App", "Microsoft Azure PowerShell", "Visual Studio - Legacy",
	"Microsoft Edge Enterprise New Tab Page",
}

// query is V2 as SQL, clause by clause as rules/foci/v2.yaml ports the KQL (quoted). anchor is the
// SQL of the time ago() counts from.
func query(files, clients []string, anchor string) string {
	types := make([]string, len(columns))
	replace := make([]string, len(columns))
	for i, c := range columns {
		types[i] = quote(c) + ": 'VARCHAR'"
		replace[i] = fmt.Sprintf("coalesce(%s, '') AS %s", c, c)
	}
	replace[slices.Index(columns, "TimeGenerated")] = timeGenerated
	quoted := func(list []string) string {
		out := make([]string, len(list))
		for i, s := range list {
			out[i] = quote(s)
		}
		return strings.Join(out, ", ")
	}
	// signins is read twice when anchor is the newest TimeGenerated, once for that time alone:
	// materialized instead (DuckDB's default for a CTE read twice), it holds every row's columns
	// (at 1M rows, 1.5 GB and 1.5 times the CPU, against 330 MB).
	return fmt.Sprintf(`
WITH signins AS NOT MATERIALIZED (
	SELECT * REPLACE (%s)
	FROM read_ndjson([%s], columns = {%s}, format = 'newline_delimited')
),
-- let FociTokenRequest = materialize(AADNonInteractiveUserSignInLogs | where TimeGenerated > ago(6h)
--   | where HomeTenantId == ResourceTenantId | where AppId in (FociClientApplications));
foci AS (
	SELECT * FROM signins
	WHERE TimeGenerated > %s - INTERVAL 6 HOUR
	  AND HomeTenantId = ResourceTenantId
	  AND AppId IN (%s)
)
SELECT
	-- | project FirstRequestTimeGenerated = TimeGenerated, FirstResult = ResultType, ...
	f.TimeGenerated AS FirstRequestTimeGenerated, f.ResultType AS FirstResult,
	f.ResultDescription AS FirstResultDescription, f.Identity, f.Location,
	f.AppDisplayName AS FirstAppDisplayName, f.AppId AS FirstAppId, f.ClientAppUsed, f.DeviceDetail,
	s.DeviceDetail AS SecondDeviceDetail, f.IPAddress, f.LocationDetails, f.UserAgent,
	s.TimeGenerated AS SecondRequestTimeGenerated,
	-- the published defect V2 keeps: SecondResult is the first login's ResultType
	f.ResultType AS SecondResult, s.ResultDescription AS SecondResultDescription,
	s.AppDisplayName AS SecondAppDisplayName, s.AppId AS SecondAppId,
	s.IncomingTokenType AS SeconIncomingTokenType, f.SessionId,
	-- | extend TimeDiff = datetime_diff('minute', SecondRequestTimeGenerated, TimeGenerated):
	-- minute boundaries crossed, as DuckDB's date_diff counts them
	date_diff('minute', f.TimeGenerated, s.TimeGenerated) AS TimeDiff,
	-- | extend FirstOauthScopeInfo = extract("{\"key\":\"Oauth Scope Info\",\"value\":\"\\[(.*)\\]\"}", 1, ...):
	-- regexp_extract gives '' when nothing matches, as extract does
	regexp_extract(f.AuthenticationProcessingDetails, '\{"key":"Oauth Scope Info","value":"\[(.*)\]"\}', 1) AS FirstOauthScopeInfo,
	regexp_extract(s.AuthenticationProcessingDetails, '\{"key":"Oauth Scope Info","value":"\[(.*)\]"\}', 1) AS SecondOauthScopeInfo,
	f.ResourceIdentity AS FirstResourceIdentity, s.ResourceIdentity AS SecondResourceIdentity
-- FociTokenRequest | where IncomingTokenType == "none"
FROM foci f
-- | join kind=inner (FociTokenRequest | where IncomingTokenType != "none" | project-rename ...)
--   on SessionId, UserPrincipalName
JOIN foci s ON f.SessionId = s.SessionId AND f.UserPrincipalName = s.UserPrincipalName
WHERE f.IncomingTokenType = 'none' AND s.IncomingTokenType <> 'none'
  -- | where TimeDiff >= 1 and TimeDiff <= maxTimeDiff
  AND date_diff('minute', f.TimeGenerated, s.TimeGenerated) BETWEEN 1 AND 90
  -- | where SecondAppDisplayName in (...) and SecondResourceIdentity == "00000002-0000-0000-c000-000000000000"
  AND s.AppDisplayName IN (%s)
  AND s.ResourceIdentity = '00000002-0000-0000-c000-000000000000'
  -- | where SecondResult == 0: a string column against a number compares as a number
  AND TRY_CAST(f.ResultType AS BIGINT) = 0
`, strings.Join(replace, ", "), quoted(files), strings.Join(types, ", "), anchor, quoted(clients), quoted(secondLoginApps))
}

// quote is s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// readClients reads the client_id column of the FOCI client list, past its # comment lines.
func readClients(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	column := slices.Index(header, "client_id")
	if column < 0 {
		return nil, fmt.Errorf("%s: no client_id column", path)
	}
	var ids []string
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			return ids, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ids = append(ids, record[column])
	}
}

// writeAlerts writes each row as one NDJSON line (times in detect's 100 ns form) unless quiet,
// and returns them.
func writeAlerts(rows *sql.Rows, names []string, w io.Writer, quiet bool) ([]map[string]any, error) {
	out := bufio.NewWriterSize(w, 1<<16)
	var alerts []map[string]any
	values := make([]any, len(names))
	pointers := make([]any, len(names))
	for i := range values {
		pointers[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(pointers...); err != nil {
			return nil, err
		}
		a := make(map[string]any, len(names))
		line := []byte{'{'}
		for i, name := range names {
			v := values[i]
			if t, ok := v.(time.Time); ok {
				v = t.UTC().Format("2006-01-02T15:04:05.0000000Z")
			}
			a[name] = v
			if i > 0 {
				line = append(line, ',')
			}
			key, _ := json.Marshal(name)
			text, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			line = append(append(append(line, key...), ':'), text...)
		}
		alerts = append(alerts, a)
		if !quiet {
			out.Write(append(line, '}', '\n'))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return alerts, out.Flush()
}

// compare reads detect's alerts from path and tells whether they are DuckDB's: the same number,
// and the same values in every column V2 projects (detect's own _rule and _sources aside).
func compare(duck []map[string]any, columns []string, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var detect []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		var a map[string]any
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		detect = append(detect, a)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	key := func(a map[string]any) string {
		parts := make([]string, len(columns))
		for i, c := range columns {
			parts[i] = fmt.Sprint(a[c])
		}
		return strings.Join(parts, "\x1f")
	}
	count := map[string]int{}
	for _, a := range detect {
		count[key(a)]++
	}
	for _, a := range duck {
		count[key(a)]--
	}
	var differ []string
	for k, n := range count {
		if n > 0 {
			differ = append(differ, fmt.Sprintf("  only detect (%d): %s", n, strings.ReplaceAll(k, "\x1f", " | ")))
		} else if n < 0 {
			differ = append(differ, fmt.Sprintf("  only DuckDB (%d): %s", -n, strings.ReplaceAll(k, "\x1f", " | ")))
		}
	}
	if len(differ) > 0 {
		slices.Sort(differ)
		return fmt.Errorf("the alerts differ from %s's (%d against DuckDB's %d):\n%s",
			path, len(detect), len(duck), strings.Join(differ, "\n"))
	}
	fmt.Fprintf(os.Stderr, "check: DuckDB's %d alerts are detect's %d (%s), the same in every column V2 projects\n",
		len(duck), len(detect), path)
	return nil
}
