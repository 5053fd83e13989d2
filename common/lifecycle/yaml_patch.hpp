// Inserts YAML block-sequence items into a class document's `egress:` or
// `ingress:` block as text, so a proposal is a reviewable diff of added
// lines: the rest of the file (comments, order, quoting) is untouched.
#pragma once

#include <string>
#include <vector>

namespace wg::lifecycle {

// `text` is a policy file; `doc_line` (1-based) a line inside the class's
// document (its location from the loader). Each item is a "- ..." block
// (comment lines first allowed) written at indent 0; it is re-indented to
// the block's existing items. Without a `key:` block in the document one is
// appended at its end; `key: []` becomes `key:`. Returns false with `err`
// when the document's `key` is written in a form it does not handle (flow
// sequence with items).
bool insert_into_block(std::string& text, uint32_t doc_line, const std::string& key,
                       const std::vector<std::string>& items, std::string& err);

}  // namespace wg::lifecycle
