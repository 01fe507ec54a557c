package kqlexpr

import "testing"

func TestIPFunctionsFollowLearn(t *testing.T) {
	row := map[string]any{"AppId": "10.1.2.3", "AppDisplayName": "05:04:54 127.0.0.1 GET /favicon.ico 404",
		"ResultType": "2001:db8::1"}
	checkCases(t, row, []functionCase{
		// https://learn.microsoft.com/kusto/query/parse-ipv4-function: the page's table.
		{`parse_ipv4("192.168.1.1")`, int64(3232235777)},
		{`parse_ipv4("192.168.1.1/24")`, int64(3232235776)},
		{`parse_ipv4("255.255.255.255/31")`, int64(4294967294)},
		{`parse_ipv4("127.0.0.1")`, int64(2130706433)},
		{`parse_ipv4("127.0.0.256")`, nil},
		{`parse_ipv4("")`, nil},
		{`parse_ipv4(ResultType)`, nil},
		{`parse_ipv4("192.1.168.1") < parse_ipv4("192.1.168.2")`, true},
		// https://learn.microsoft.com/kusto/query/parse-ipv6-function
		{`parse_ipv6("127.0.0.1")`, "0000:0000:0000:0000:0000:ffff:7f00:0001"},
		{`parse_ipv6("fe80::85d:e82c:9446:7994/120")`, "fe80:0000:0000:0000:085d:e82c:9446:7900"},
		{`parse_ipv6("192.168.255.255/31")`, "0000:0000:0000:0000:0000:ffff:c0a8:fffe"},
		{`parse_ipv6("192.168.255.255/120")`, nil},
		{`parse_ipv6("not an address")`, nil},
		// https://learn.microsoft.com/kusto/query/ipv4-is-in-range-function
		{`ipv4_is_in_range("192.168.1.6", "192.168.1.1/24")`, true},
		{`ipv4_is_in_range("192.168.2.6", "192.168.1.1/24")`, false},
		{`ipv4_is_in_range(AppId, "10.1.2.3")`, true},
		{`ipv4_is_in_range(AppId, "10.0.0.0/8")`, true},
		{`ipv4_is_in_range(ResultType, "10.0.0.0/8")`, nil},
		{`ipv4_is_in_range(AppId, "10.0.0.0/33")`, nil},
		// https://learn.microsoft.com/kusto/query/ipv4-is-in-any-range-function
		{`ipv4_is_in_any_range("192.168.1.6", "192.168.1.1/24", "10.0.0.1/8")`, true},
		{`ipv4_is_in_any_range(AppId, dynamic(["192.168.1.1/24", "10.0.0.1/8"]))`, true},
		{`ipv4_is_in_any_range("8.8.8.8", ["192.168.1.1/24", "10.0.0.1/8"])`, false},
		{`ipv4_is_in_any_range("8.8.8.8", "192.168.1.1/24", "nonsense")`, nil},
		// https://learn.microsoft.com/kusto/query/ipv6-is-in-any-range-function
		{`ipv6_is_in_any_range("a5e:f127:8a9d:146d:e102:b5d3:c755:abcd", "a5e:f127:8a9d:146d:e102:b5d3:c755:0000/112", "a5e:f127:8a9d:146d:e102:b5d3:c755:abcd")`, true},
		{`ipv6_is_in_any_range(ResultType, ["2001:db8::/32"])`, true},
		{`ipv6_is_in_any_range(ResultType, ["2001:db9::/32"])`, false},
		{`ipv6_is_in_any_range("127.0.0.1", ["127.0.0.0/8"])`, true},
		// https://learn.microsoft.com/kusto/query/ipv4-is-private-function
		{`ipv4_is_private("172.16.1.1")`, true},
		{`ipv4_is_private("172.32.1.1")`, false},
		{`ipv4_is_private("10.1.2.3/24")`, true},
		{`ipv4_is_private("192.168.1.1/16")`, true},
		{`ipv4_is_private("192.168.1.1/15")`, false},
		{`ipv4_is_private("8.8.8.8")`, false},
		{`ipv4_is_private("")`, nil},
		// https://learn.microsoft.com/kusto/query/ipv4-is-match-function, ipv4-compare-function
		{`ipv4_is_match("192.168.1.1", "192.168.1.255")`, false},
		{`ipv4_is_match("192.168.1.1/24", "192.168.1.255")`, true},
		{`ipv4_is_match("192.168.1.1", "192.168.1.255", 24)`, true},
		{`ipv4_is_match("192.168.1.1", "192.168.2.1", 24)`, false},
		{`ipv4_is_match("192.168.1.1", "x")`, nil},
		{`ipv4_compare("127.0.0.1", "127.0.0.1")`, int64(0)},
		{`ipv4_compare("192.168.1.1", "192.168.1.255")`, int64(-1)},
		{`ipv4_compare("192.168.1.255", "192.168.1.1")`, int64(1)},
		{`ipv4_compare("192.168.1.1/24", "192.168.1.255/24")`, int64(0)},
		{`ipv4_compare("192.168.1.1", "192.168.1.255", 24)`, int64(0)},
		{`ipv4_compare("192.168.1.1", "192.168.1.255", 33)`, nil},
		// https://learn.microsoft.com/kusto/query/has-ipv4-function: delimited, valid addresses.
		{`has_ipv4(AppDisplayName, "127.0.0.1")`, true},
		{`has_ipv4("05:04:54 127.0.0.256 GET /favicon.ico 404", "127.0.0.256")`, false},
		{`has_ipv4("05:04:54127.0.0.1 GET /favicon.ico 404", "127.0.0.1")`, false},
		{`has_ipv4("from 10.1.1.115 and", "10.1.1.11")`, false},
		{`has_ipv4("came from 10.1.1.115.", "10.1.1.115")`, true},
		{`has_ipv4("host1.10.1.1.1", "10.1.1.1")`, false},
		{`has_ipv4("host127.0.0.1 x", "127.0.0.1")`, false},
		{`has_ipv4("x 127.0.0.1abc", "127.0.0.1")`, false},
		{`has_ipv4("src=127.0.0.1;", "127.0.0.1")`, true},
		// https://learn.microsoft.com/kusto/query/has-any-ipv4-function
		{`has_any_ipv4(AppDisplayName, "127.0.0.1", "127.0.0.2")`, true},
		{`has_any_ipv4(AppDisplayName, dynamic(["127.0.0.1", "127.0.0.2"]))`, true},
		{`has_any_ipv4("05:04:54 127.0.0.256 GET", dynamic(["127.0.0.256", "192.168.1.1"]))`, false},
		{`has_any_ipv4("05:04:54127.0.0.1 GET", "127.0.0.1", "192.168.1.1")`, false},
		// https://learn.microsoft.com/kusto/query/has-ipv4-prefix-function, has-any-ipv4-prefix-function
		{`has_ipv4_prefix(AppDisplayName, "127.0.")`, true},
		{`has_ipv4_prefix(AppDisplayName, "127.0")`, false},
		{`has_ipv4_prefix("05:04:54 127.0.0.256 GET", "127.0.")`, false},
		{`has_ipv4_prefix("05:04:54127.0.0.1 GET", "127.0.")`, false},
		{`has_ipv4_prefix(AppDisplayName, "127.0.0.1")`, true},
		{`has_any_ipv4_prefix(AppDisplayName, "127.0.", "192.168.")`, true},
		{`has_any_ipv4_prefix(AppDisplayName, dynamic(["127.0.", "192.168."]))`, true},
		{`has_any_ipv4_prefix(AppDisplayName, "10.", "192.168.")`, false},
	})
}
