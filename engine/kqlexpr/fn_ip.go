package kqlexpr

import (
	byteorder "encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/signin-detect/detect/engine/kql"
)

// IP address functions. An address may carry a prefix length (CIDR, "10.0.0.0/8"); text that is
// not an address makes the function null, as KQL's do (a has_ipv4 search is false instead).
// https://learn.microsoft.com/kusto/query/scalar-functions#ipv4ipv6-functions
func init() {
	register(
		&Function{Name: "parse_ipv4", Params: []Param{{Name: "ip", Type: kql.String}}, Result: kql.Long,
			Eval: func(_ *Context, a []any) (any, error) {
				p, ok := ipv4Prefix(a[0])
				if !ok {
					return nil, nil
				}
				return int64(ipv4Long(p.Masked().Addr())), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/parse-ipv4-function", Doc: `an IPv4 address as a long (big-endian), masked by its prefix ("192.168.1.1/24" is 3232235776); null when it is not one`},
		&Function{Name: "parse_ipv6", Params: []Param{{Name: "ip", Type: kql.String}}, Result: kql.String,
			Eval: func(_ *Context, a []any) (any, error) {
				p, ok := ipv6Prefix(a[0])
				if !ok {
					return nil, nil
				}
				b := p.Masked().Addr().As16()
				groups := make([]string, 8)
				for i := range groups {
					groups[i] = fmt.Sprintf("%04x", byteorder.BigEndian.Uint16(b[2*i:]))
				}
				return strings.Join(groups, ":"), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/parse-ipv6-function", Doc: `an IPv6 or IPv4 address (and prefix) in canonical IPv6 form, eight groups of four hex digits ("127.0.0.1" is "0000:0000:0000:0000:0000:ffff:7f00:0001"); null when it is not one`},
		&Function{Name: "ipv4_is_in_range", Params: []Param{{Name: "Ipv4Address", Type: kql.String}, {Name: "Ipv4Range", Type: kql.String}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				ip, ok1 := ipv4Prefix(a[0])
				r, ok2 := ipv4Prefix(a[1])
				if !ok1 || !ok2 {
					return nil, nil
				}
				return r.Masked().Contains(ip.Addr()), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/ipv4-is-in-range-function", Doc: `the IPv4 address is in the range ("10.0.0.0/8", or one address); null when either is not one`},
		&Function{Name: "ipv4_is_in_any_range", Params: []Param{{Name: "Ipv4Address", Type: kql.String}, {Name: "Ipv4Ranges", Type: Any, Variadic: true}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				return inAnyRange(a, ipv4Prefix)
			},
			Learn: "https://learn.microsoft.com/kusto/query/ipv4-is-in-any-range-function", Doc: "the IPv4 address is in one of the ranges (arguments, or arrays of them); null when the address or a range is not one"},
		&Function{Name: "ipv6_is_in_any_range", Params: []Param{{Name: "Ipv6Address", Type: kql.String}, {Name: "Ipv6Ranges", Type: Any, Variadic: true}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				return inAnyRange(a, ipv6Prefix)
			},
			Learn: "https://learn.microsoft.com/kusto/query/ipv6-is-in-any-range-function", Doc: "the IPv6 (or IPv4) address is in one of the ranges (arguments, or arrays of them); null when the address or a range is not one"},
		&Function{Name: "ipv4_is_private", Params: []Param{{Name: "ip", Type: kql.String}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				p, ok := ipv4Prefix(a[0])
				if !ok {
					return nil, nil
				}
				for _, r := range privateIPv4 {
					if r.Contains(p.Addr()) && p.Bits() >= r.Bits() {
						return true, nil
					}
				}
				return false, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/ipv4-is-private-function", Doc: "the IPv4 address (or whole prefix) is in a private network of RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16; null when it is not one"},
		&Function{Name: "ipv4_is_match", Params: []Param{{Name: "ip1", Type: kql.String}, {Name: "ip2", Type: kql.String},
			{Name: "prefix", Type: kql.Long, Optional: true}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				c, ok := compareIPv4(a)
				if !ok {
					return nil, nil
				}
				return c == 0, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/ipv4-is-match-function", Doc: "the two IPv4 addresses are equal once masked (by their own prefixes and prefix, the smallest of them); null when one is not an address"},
		&Function{Name: "ipv4_compare", Params: []Param{{Name: "ip1", Type: kql.String}, {Name: "ip2", Type: kql.String},
			{Name: "prefix", Type: kql.Long, Optional: true}}, Result: kql.Long,
			Eval: func(_ *Context, a []any) (any, error) {
				c, ok := compareIPv4(a)
				if !ok {
					return nil, nil
				}
				return int64(c), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/ipv4-compare-function", Doc: "-1, 0 or 1 as ip1 is below, equal to or above ip2, once masked as ipv4_is_match does; null when one is not an address"},
		&Function{Name: "has_ipv4", Params: []Param{{Name: "source", Type: kql.String}, {Name: "ip_address", Type: kql.String}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				return hasIPv4(a[0], a[1:], false), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/has-ipv4-function", Doc: "source holds the valid IPv4 address ip_address, delimited by characters that are not letters, digits or dots (\"05:04:54127.0.0.1\" does not hold 127.0.0.1)"},
		&Function{Name: "has_any_ipv4", Params: []Param{{Name: "source", Type: kql.String}, {Name: "ip_address", Type: Any, Variadic: true}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				return hasIPv4(a[0], a[1:], false), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/has-any-ipv4-function", Doc: "has_ipv4 for any of the addresses (arguments, or arrays of them)"},
		&Function{Name: "has_ipv4_prefix", Params: []Param{{Name: "source", Type: kql.String}, {Name: "ip_address_prefix", Type: kql.String}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				return hasIPv4(a[0], a[1:], true), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/has-ipv4-prefix-function", Doc: `source holds a valid, delimited IPv4 address that starts with the prefix: a whole address or one to three octets ending with a dot ("10.", "192.168.")`},
		&Function{Name: "has_any_ipv4_prefix", Params: []Param{{Name: "source", Type: kql.String}, {Name: "ip_address_prefix", Type: Any, Variadic: true}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				return hasIPv4(a[0], a[1:], true), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/has-any-ipv4-prefix-function", Doc: "has_ipv4_prefix for any of the prefixes (arguments, or arrays of them)"},
	)
}

var privateIPv4 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
}

// ipv4Prefix reads an IPv4 address with an optional prefix length (/32 when it has none).
func ipv4Prefix(v any) (netip.Prefix, bool) {
	p, ok := ipPrefix(v)
	if !ok || !p.Addr().Is4() {
		return netip.Prefix{}, false
	}
	return p, true
}

// ipv6Prefix reads an IPv6 address, or an IPv4 one as its IPv4-mapped IPv6 address, with an
// optional prefix length.
func ipv6Prefix(v any) (netip.Prefix, bool) {
	p, ok := ipPrefix(v)
	if !ok {
		return netip.Prefix{}, false
	}
	if p.Addr().Is4() {
		return netip.PrefixFrom(netip.AddrFrom16(p.Addr().As16()), p.Bits()+96), true
	}
	return p, true
}

func ipPrefix(v any) (netip.Prefix, bool) {
	s := strings.TrimSpace(kql.ToString(v))
	if s == "" {
		return netip.Prefix{}, false
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p, err == nil
	}
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(addr, addr.BitLen()), true
}

func ipv4Long(a netip.Addr) uint32 {
	b := a.As4()
	return byteorder.BigEndian.Uint32(b[:])
}

func inAnyRange(a []any, parse func(any) (netip.Prefix, bool)) (any, error) {
	ip, ok := parse(a[0])
	if !ok {
		return nil, nil
	}
	found := false
	for _, r := range flatten(a[1:]) {
		p, ok := parse(r)
		if !ok {
			return nil, nil
		}
		found = found || p.Masked().Contains(ip.Addr())
	}
	return found, nil
}

// compareIPv4 compares ip1 and ip2 (a[0], a[1]) masked to the fewest bits among their own
// prefixes and the prefix argument (a[2], 32 by default).
func compareIPv4(a []any) (int, bool) {
	p1, ok1 := ipv4Prefix(a[0])
	p2, ok2 := ipv4Prefix(a[1])
	if !ok1 || !ok2 {
		return 0, false
	}
	bits := min(p1.Bits(), p2.Bits())
	if len(a) > 2 {
		n, ok := kql.ToLong(a[2])
		if !ok || n < 0 || n > 32 {
			return 0, false
		}
		bits = min(bits, int(n))
	}
	x, _ := p1.Addr().Prefix(bits)
	y, _ := p2.Addr().Prefix(bits)
	return x.Addr().Compare(y.Addr()), true
}

// hasIPv4 looks for the addresses (or, with prefix set, the prefixes) among the IPv4 addresses in
// source: the runs of digits and dots between other characters that are valid addresses.
func hasIPv4(source any, wanted []any, prefix bool) bool {
	var found []string
	text := kql.ToString(source)
	for i := 0; i < len(text); {
		if !isIPChar(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isIPChar(text[j]) {
			j++
		}
		before := i == 0 || !isAlnumByte(text[i-1])
		after := j == len(text) || !isAlnumByte(text[j])
		// A sentence may end just after an address: its full stop is not part of it.
		if token := strings.TrimRight(text[i:j], "."); before && after {
			if addr, err := netip.ParseAddr(token); err == nil && addr.Is4() {
				found = append(found, token)
			}
		}
		i = j
	}
	for _, w := range flatten(wanted) {
		want := kql.ToString(w)
		if !validIPv4Search(want, prefix) {
			continue
		}
		for _, f := range found {
			if f == want || prefix && strings.HasSuffix(want, ".") && strings.HasPrefix(f, want) {
				return true
			}
		}
	}
	return false
}

// validIPv4Search is a whole IPv4 address or, for a prefix search, one to three octets and a dot.
func validIPv4Search(s string, prefix bool) bool {
	if addr, err := netip.ParseAddr(s); err == nil && addr.Is4() {
		return true
	}
	if !prefix || !strings.HasSuffix(s, ".") {
		return false
	}
	octets := strings.Split(strings.TrimSuffix(s, "."), ".")
	if len(octets) > 3 {
		return false
	}
	for _, o := range octets {
		n, ok := kql.ToLong(o)
		if !ok || n < 0 || n > 255 || o == "" || len(o) > 3 || strings.TrimLeft(o, "0123456789") != "" {
			return false
		}
	}
	return true
}

func isIPChar(c byte) bool { return c == '.' || '0' <= c && c <= '9' }

func isAlnumByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
