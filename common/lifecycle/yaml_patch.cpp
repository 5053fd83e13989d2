#include "lifecycle/yaml_patch.hpp"

#include <sstream>

namespace wg::lifecycle {

namespace {

size_t indent_of(const std::string& l) {
    size_t i = 0;
    while (i < l.size() && l[i] == ' ') ++i;
    return i;
}
bool blank(const std::string& l) {
    return indent_of(l) == l.size();
}
bool comment(const std::string& l) {
    const size_t i = indent_of(l);
    return i < l.size() && l[i] == '#';
}
bool doc_sep(const std::string& l) {
    return l.rfind("---", 0) == 0 || l.rfind("...", 0) == 0;
}

std::string reindent(const std::vector<std::string>& items, size_t ind) {
    std::string out, pad(ind, ' ');
    for (const auto& it : items) {
        std::istringstream in(it);
        std::string l;
        while (std::getline(in, l)) out += pad + l + "\n";
    }
    return out;
}

}  // namespace

bool insert_into_block(std::string& text, uint32_t doc_line, const std::string& key,
                       const std::vector<std::string>& items, std::string& err) {
    std::vector<std::string> lines;
    {
        std::istringstream in(text);
        std::string l;
        while (std::getline(in, l)) lines.push_back(l);
    }
    if (doc_line == 0 || doc_line > lines.size()) {
        err = "document line " + std::to_string(doc_line) + " is outside the file";
        return false;
    }
    // The document: from the separator before doc_line to the one after.
    size_t b = doc_line - 1, e = doc_line;
    while (b > 0 && !doc_sep(lines[b])) --b;
    if (doc_sep(lines[b])) ++b;
    while (e < lines.size() && !doc_sep(lines[e])) ++e;
    // Top-level keys of the document sit at the indent of its first key.
    size_t key_ind = std::string::npos;
    for (size_t i = b; i < e; ++i)
        if (!blank(lines[i]) && !comment(lines[i])) {
            key_ind = indent_of(lines[i]);
            break;
        }
    if (key_ind == std::string::npos) {
        err = "empty document";
        return false;
    }
    const std::string want = std::string(key_ind, ' ') + key + ":";
    size_t k = e;
    for (size_t i = b; i < e; ++i)
        if (lines[i].rfind(want, 0) == 0) {
            k = i;
            break;
        }
    std::vector<std::string> add;
    size_t at;
    if (k == e) {
        // No block: append one after the document's last line with content.
        at = e;
        while (at > b && blank(lines[at - 1])) --at;
        std::string blk = want + "\n" + reindent(items, key_ind + 2);
        lines.insert(lines.begin() + long(at), blk.substr(0, blk.size() - 1));
    } else {
        std::string rest = lines[k].substr(want.size());
        const size_t hash = rest.find('#');
        std::string val = rest.substr(0, hash);
        while (!val.empty() && val.back() == ' ') val.pop_back();
        while (!val.empty() && val.front() == ' ') val.erase(0, 1);
        if (val == "[]") {
            lines[k] = want;
        } else if (!val.empty()) {
            err = key + ": a flow sequence; write it as a block sequence to receive proposals";
            return false;
        }
        // The block: lines indented deeper, or "-" items at the key's indent.
        size_t last = k, item_ind = key_ind + 2;
        bool seen_item = false;
        for (size_t i = k + 1; i < e; ++i) {
            const std::string& l = lines[i];
            if (blank(l) || comment(l)) continue;
            const size_t ind = indent_of(l);
            const bool item = l[ind] == '-' && (ind + 1 == l.size() || l[ind + 1] == ' ');
            if (ind < key_ind || (ind == key_ind && !item)) break;
            if (item && !seen_item) {
                item_ind = ind;
                seen_item = true;
            }
            last = i;
        }
        at = last + 1;
        std::string blk = reindent(items, item_ind);
        lines.insert(lines.begin() + long(at), blk.substr(0, blk.size() - 1));
    }
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    text = out;
    return true;
}

}  // namespace wg::lifecycle
