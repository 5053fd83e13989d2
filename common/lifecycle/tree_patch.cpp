#include "lifecycle/tree_patch.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace wg::lifecycle {
namespace fs = std::filesystem;

namespace {

constexpr size_t kContext = 3;

// Lines with their terminators; the last may lack "\n".
std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < s.size()) {
        size_t nl = s.find('\n', pos);
        if (nl == std::string::npos) nl = s.size() - 1;
        out.push_back(s.substr(pos, nl - pos + 1));
        pos = nl + 1;
    }
    return out;
}

void emit_line(std::ostringstream& o, char tag, const std::string& l) {
    o << tag << l;
    if (l.empty() || l.back() != '\n') o << "\n\\ No newline at end of file\n";
}

enum class Op : char { Keep = ' ', Del = '-', Add = '+' };

// Edit script by LCS over lines after trimming the common prefix and
// suffix (a proposal is a few insertions into a file of a few hundred
// lines: the table stays small).
std::vector<std::pair<Op, size_t>> edit_script(const std::vector<std::string>& a,
                                               const std::vector<std::string>& b) {
    size_t pre = 0;
    while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
    size_t suf = 0;
    while (suf < a.size() - pre && suf < b.size() - pre &&
           a[a.size() - 1 - suf] == b[b.size() - 1 - suf])
        ++suf;
    const size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
    std::vector<std::vector<uint32_t>> L(n + 1, std::vector<uint32_t>(m + 1, 0));
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            L[i][j] =
                a[pre + i] == b[pre + j] ? L[i + 1][j + 1] + 1 : std::max(L[i + 1][j], L[i][j + 1]);
    // (op, index into a for Keep/Del, into b for Add)
    std::vector<std::pair<Op, size_t>> ops;
    for (size_t k = 0; k < pre; ++k) ops.push_back({Op::Keep, k});
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a[pre + i] == b[pre + j]) {
            ops.push_back({Op::Keep, pre + i});
            ++i;
            ++j;
        } else if (j < m && (i == n || L[i][j + 1] >= L[i + 1][j])) {
            ops.push_back({Op::Add, pre + j});
            ++j;
        } else {
            ops.push_back({Op::Del, pre + i});
            ++i;
        }
    }
    for (size_t k = 0; k < suf; ++k) ops.push_back({Op::Keep, a.size() - suf + k});
    return ops;
}

std::string read_file(const fs::path& p, bool& ok) {
    std::ifstream f(p, std::ios::binary);
    ok = bool(f);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

std::string file_diff(const std::string& path, const std::string& a, const std::string& b,
                      bool a_exists) {
    if (a_exists && a == b) return {};
    const auto la = split_lines(a), lb = split_lines(b);
    const auto ops = edit_script(la, lb);
    std::ostringstream o;
    o << "diff --git a/" << path << " b/" << path << "\n";
    if (!a_exists) o << "new file mode 100644\n";
    o << "--- " << (a_exists ? "a/" + path : std::string("/dev/null")) << "\n";
    o << "+++ b/" << path << "\n";
    // Hunks: runs of changes with up to kContext kept lines around them,
    // merged when their contexts touch.
    size_t k = 0;
    while (k < ops.size()) {
        while (k < ops.size() && ops[k].first == Op::Keep) ++k;
        if (k == ops.size()) break;
        size_t start = k >= kContext ? k - kContext : 0;
        size_t end = k;  // one past the last change of this hunk
        for (;;) {
            while (end < ops.size() && ops[end].first != Op::Keep) ++end;
            size_t next = end;
            while (next < ops.size() && ops[next].first == Op::Keep) ++next;
            if (next < ops.size() && next - end <= 2 * kContext) {
                end = next;
                continue;
            }
            break;
        }
        const size_t stop = std::min(ops.size(), end + kContext);
        // Line numbers (1-based) where the hunk starts in a and b.
        size_t a_line = 0, b_line = 0;
        for (size_t q = 0; q < start; ++q) {
            if (ops[q].first != Op::Add) ++a_line;
            if (ops[q].first != Op::Del) ++b_line;
        }
        size_t a_n = 0, b_n = 0;
        for (size_t q = start; q < stop; ++q) {
            if (ops[q].first != Op::Add) ++a_n;
            if (ops[q].first != Op::Del) ++b_n;
        }
        o << "@@ -" << (a_n ? a_line + 1 : a_line) << "," << a_n << " +"
          << (b_n ? b_line + 1 : b_line) << "," << b_n << " @@\n";
        for (size_t q = start; q < stop; ++q) {
            const auto [op, idx] = ops[q];
            emit_line(o, static_cast<char>(op), op == Op::Add ? lb[idx] : la[idx]);
        }
        k = stop;
    }
    return o.str();
}

std::string tree_diff(const fs::path& from, const fs::path& to, std::string& err) {
    std::vector<std::string> rels;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(to, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto rel = fs::relative(it->path(), to);
        if (rel.begin()->string() == ".git") {
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file()) rels.push_back(rel.generic_string());
    }
    if (ec) {
        err = "cannot read " + to.string() + ": " + ec.message();
        return {};
    }
    std::sort(rels.begin(), rels.end());
    std::string out;
    for (const auto& rel : rels) {
        bool ok_b = false, ok_a = false;
        const std::string b = read_file(to / rel, ok_b);
        if (!ok_b) {
            err = "cannot read " + (to / rel).string();
            return {};
        }
        const bool a_exists = fs::is_regular_file(from / rel, ec);
        const std::string a = a_exists ? read_file(from / rel, ok_a) : std::string();
        if (a_exists && !ok_a) {
            err = "cannot read " + (from / rel).string();
            return {};
        }
        out += file_diff(rel, a, b, a_exists);
    }
    return out;
}

}  // namespace wg::lifecycle
