// Address and CSV parsing: the small parsers every policy error message
// depends on.
#include <catch2/catch.hpp>

#include "policy/csv.hpp"
#include "policy/net.hpp"

using namespace wg::policy;

TEST_CASE("addresses, prefixes and MACs", "[parse]") {
    std::string err;
    auto h = net::parse_cidr("198.18.1.7", err);
    REQUIRE(h);
    CHECK(h->len == 32);
    CHECK(net::format(*h) == "198.18.1.7");
    auto v6 = net::parse_cidr("2001:db8:18::/48", err);
    REQUIRE(v6);
    CHECK(v6->family == 6);
    CHECK(net::format(*v6) == "2001:db8:18::/48");
    CHECK_FALSE(net::parse_cidr("198.18.1.0/16", err));
    CHECK(err.find("write the network address 198.18.0.0/16") != std::string::npos);
    CHECK_FALSE(net::parse_cidr("10.1/8", err));
    CHECK_FALSE(net::parse_cidr("10.0.0.0/", err));
    CHECK_FALSE(net::parse_cidr("::/129", err));
    CHECK_FALSE(net::parse_ip("010.1.1.1x", err));

    IpPrefix outer = *net::parse_cidr("198.18.0.0/16", err);
    CHECK(net::contains(outer, *h));
    CHECK_FALSE(net::contains(*h, outer));
    CHECK_FALSE(net::contains(outer, *v6));
    CHECK(net::is_multicast(*net::parse_cidr("239.192.10.0/24", err)));
    CHECK_FALSE(net::is_multicast(*net::parse_cidr("224.0.0.0/3", err)));
    CHECK(net::is_multicast(*net::parse_cidr("ff02::1", err)));

    for (auto s : {"00:09:fb:aa:bb:cc", "00-09-FB-AA-BB-CC", "0009.fbaa.bbcc", "0009fbaabbcc"}) {
        INFO(s);
        auto m = net::parse_mac(s, err);
        REQUIRE(m);
        CHECK(net::format_mac(*m) == "00:09:fb:aa:bb:cc");
    }
    CHECK_FALSE(net::parse_mac("00:09:fb:aa:bb", err));
    CHECK_FALSE(net::parse_mac("00:09:fb:aa:bb:cg", err));
    CHECK_FALSE(net::parse_mac("00:09-fb:aa:bb:cc:dd", err));
    CHECK_FALSE(net::parse_mac("ff:ff:ff:ff:ff:ff", err));  // broadcast is not a device
    CHECK(err.find("multicast/broadcast") != std::string::npos);
}

TEST_CASE("CSV: quoting, CRLF, BOM, blank lines and positions", "[parse]") {
    auto t = csv::parse(
        "\xEF\xBB\xBF"
        "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",z\r\n\r\n1,,3\n");
    REQUIRE(t.error.empty());
    REQUIRE(t.rows.size() == 3);
    CHECK(t.rows[0][0].value == "a");
    CHECK(t.rows[1][0].value == "x, y");
    CHECK(t.rows[1][1].value == "say \"hi\"");
    CHECK(t.rows[1][2].value == "z");
    CHECK(t.rows[1][2].line == 2);
    CHECK(t.rows[1][2].column == 21);  // after "x, y" (6) , (7) and the 12-char quoted field
    CHECK(t.rows[2][1].value.empty());
    CHECK(t.rows[2][0].line == 4);
    auto bad = csv::parse("a,b\n\"open,1\n");
    CHECK(bad.error == "unterminated quoted field");
    CHECK(bad.error_line == 2);
    CHECK(bad.error_column == 1);
    auto junk = csv::parse("\"a\"b,c\n");
    CHECK(junk.error == "unexpected character after a closing quote");
}
