// The open elements of an HTML document, ended where a browser ends them.
#include "mail/html_elements.hpp"

#include <algorithm>
#include <span>
#include <utility>

namespace portcullis::text {

namespace {

using Names = std::span<const std::string_view>;

// The elements that bound the default scope (HTML's "has an element in
// scope"), in the HTML namespace.
constexpr std::string_view scope_bounds[] = {"applet",  "caption", "html",
                                             "table",   "td",      "th",
                                             "marquee", "object",  "template"};

// Start tags that end an open <p> first (quirks mode: <table> does not).
constexpr std::string_view p_enders[] = {
    "address", "article",   "aside",   "blockquote", "center",   "details",
    "dialog",  "dir",       "div",     "dl",         "fieldset", "figcaption",
    "figure",  "footer",    "header",  "hgroup",     "main",     "menu",
    "nav",     "ol",        "p",       "search",     "section",  "summary",
    "ul",      "h1",        "h2",      "h3",         "h4",       "h5",
    "h6",      "pre",       "listing", "form",       "li",       "dd",
    "dt",      "plaintext", "hr",      "xmp"};

constexpr std::string_view headings[] = {"h1", "h2", "h3", "h4", "h5", "h6"};

// The parts of a table: outside one, a browser drops their start tags.
constexpr std::string_view table_parts[] = {
    "caption", "col", "colgroup", "tbody", "td", "tfoot", "th", "thead", "tr"};

// Where content is in a table but in no cell.
constexpr std::string_view table_contexts[] = {"table",    "tbody", "tfoot",
                                               "colgroup", "thead", "tr"};

// HTML start tags that end SVG and MathML content (and <font> with a
// color, face or size).
constexpr std::string_view breakouts[] = {
    "b",      "big",    "blockquote", "body",    "br",    "center", "code",
    "dd",     "div",    "dl",         "dt",      "em",    "embed",  "h1",
    "h2",     "h3",     "h4",         "h5",      "h6",    "head",   "hr",
    "i",      "img",    "li",         "listing", "menu",  "meta",   "nobr",
    "ol",     "p",      "pre",        "ruby",    "s",     "small",  "span",
    "strong", "strike", "sub",        "sup",     "table", "tt",     "u",
    "ul",     "var"};
constexpr std::string_view cells[] = {"td", "th"};
constexpr std::string_view row_groups[] = {"tbody", "thead", "tfoot"};

// HTML's special elements: an end tag of another name that meets one
// of them on the way down the stack ends nothing.
constexpr std::string_view special[] = {
    "address",    "applet",  "area",       "article",  "aside",   "base",
    "basefont",   "bgsound", "blockquote", "body",     "br",      "button",
    "caption",    "center",  "col",        "colgroup", "dd",      "details",
    "dir",        "div",     "dl",         "dt",       "embed",   "fieldset",
    "figcaption", "figure",  "footer",     "form",     "frame",   "frameset",
    "h1",         "h2",      "h3",         "h4",       "h5",      "h6",
    "head",       "header",  "hgroup",     "hr",       "html",    "iframe",
    "img",        "input",   "li",         "link",     "listing", "main",
    "marquee",    "menu",    "meta",       "nav",      "noembed", "noframes",
    "noscript",   "object",  "ol",         "p",        "param",   "plaintext",
    "pre",        "script",  "search",     "section",  "select",  "source",
    "style",      "summary", "table",      "tbody",    "td",      "template",
    "textarea",   "tfoot",   "th",         "thead",    "title",   "tr",
    "track",      "ul",      "wbr",        "xmp"};

// Formatting elements: an end tag of one ends it across blocks (the
// adoption agency's net effect on where its style reaches), and one
// another element's end ended is opened again.
constexpr std::string_view formatting[] = {
    "a",    "b", "big",   "code",   "em",     "font", "i",
    "nobr", "s", "small", "strike", "strong", "tt",   "u"};

// Elements past which no formatting element is opened again (HTML's
// markers in the list of active formatting elements).
constexpr std::string_view markers[] = {
    "applet", "caption", "marquee", "object", "td", "template", "th"};

// Special elements whose start tags reopen formatting elements all the
// same, as inline ones do.
constexpr std::string_view inline_special[] = {
    "applet", "area",    "br",     "button", "embed",     "img", "input",
    "keygen", "marquee", "object", "select", "plaintext", "wbr", "xmp"};

// Which of the lists above a name is on, one bit each, found with one
// hash of the name: a linear walk of the special elements for every
// scope of every element opened cost more than the rest of the parse.
enum Trait : uint16_t {
    scope_bound = 1 << 0,
    p_ender = 1 << 1,
    heading = 1 << 2,
    table_part = 1 << 3,
    table_context = 1 << 4,
    breakout = 1 << 5,
    cell = 1 << 6,
    row_group = 1 << 7,
    special_element = 1 << 8,
    formatting_element = 1 << 9,
    marker = 1 << 10,
    inline_special_element = 1 << 11,
};

uint16_t traits_of(std::string_view name) {
    static const std::unordered_map<std::string_view, uint16_t> table = [] {
        std::unordered_map<std::string_view, uint16_t> out;
        auto add = [&](Names names, Trait trait) {
            for (std::string_view listed : names)
                out[listed] |= trait;
        };
        add(scope_bounds, scope_bound);
        add(p_enders, p_ender);
        add(headings, heading);
        add(table_parts, table_part);
        add(table_contexts, table_context);
        add(breakouts, breakout);
        add(cells, cell);
        add(row_groups, row_group);
        add(special, special_element);
        add(formatting, formatting_element);
        add(markers, marker);
        add(inline_special, inline_special_element);
        return out;
    }();
    auto it = table.find(name);
    return it == table.end() ? 0 : it->second;
}

bool has(std::string_view name, Trait trait) {
    return (traits_of(name) & trait) != 0;
}

} // namespace

Shown Effect::inside(Shown parent) const {
    if (parent.gone)
        return parent;
    if (hides) {
        parent.gone = true;
        return parent;
    }
    if (tiny != Change::keep)
        parent.tiny = tiny == Change::set;
    if (invisible != Change::keep)
        parent.invisible = invisible == Change::set;
    return parent;
}

bool OpenElements::is_formatting(std::string_view name) {
    return has(name, formatting_element);
}

bool OpenElements::reopens_formatting_before(std::string_view name) {
    return (!has(name, special_element) && name != "dialog") ||
           has(name, inline_special_element);
}

bool OpenElements::bounds(std::string_view name, uint16_t traits, Scope scope) {
    switch (scope) {
    case in_scope:
        return traits & scope_bound;
    case in_button_scope:
        return (traits & scope_bound) || name == "button";
    case in_list_item_scope:
        return (traits & scope_bound) || name == "ol" || name == "ul";
    case in_definition_scope:
        return (traits & scope_bound) || name == "dl";
    case in_table_scope:
        return name == "html" || name == "table" || name == "template";
    default:
        return traits & special_element;
    }
}

int64_t OpenElements::topmost(std::string_view name) const {
    auto it = positions_.find(name);
    return it == positions_.end() || it->second.empty()
               ? -1
               : static_cast<int64_t>(it->second.back());
}

// The topmost element of name is in scope when no bound of that scope
// stands above it (a bound of its own name is in scope itself).
bool OpenElements::is_open_in(std::string_view name, Scope scope) const {
    int64_t at = topmost(name);
    return at >= 0 && !stack_.empty() &&
           at + 1 >= static_cast<int64_t>(stack_.back().bound[scope]);
}

// Undoes push's bookkeeping for the topmost open element of name.
void OpenElements::unindex(const std::string& name) {
    if (name == "svg" || name == "math")
        --foreign_open_;
    auto it = positions_.find(name);
    if (it != positions_.end()) {
        it->second.pop_back();
        if (it->second.empty())
            positions_.erase(it);
    }
}

void OpenElements::pop() {
    if (stack_.back().marker)
        forget_to_marker();
    unindex(stack_.back().name);
    stack_.pop_back();
}

void OpenElements::pop_through(std::string_view name) {
    int64_t at = topmost(name);
    if (at < 0)
        return;
    while (static_cast<int64_t>(stack_.size()) > at)
        pop();
}

// Ends the topmost of the elements named that is open in scope.
void OpenElements::pop_through_topmost(
    std::initializer_list<std::string_view> names, Scope scope) {
    int64_t top = -1;
    std::string_view which;
    for (std::string_view name : names)
        if (is_open_in(name, scope) && topmost(name) > top) {
            top = topmost(name);
            which = name;
        }
    if (top >= 0)
        pop_through(which);
}

bool OpenElements::ignores_start(std::string_view name) {
    if (name == "head" || name == "frame" || name == "frameset")
        return true;
    if (name == "form")
        return std::exchange(in_form_, true);
    if (name == "body")
        return std::exchange(seen_body_, true);
    if (name == "html")
        return std::exchange(seen_html_, true);
    return has(name, table_part) && topmost("table") < 0;
}

int64_t OpenElements::remembered(std::string_view name) const {
    for (size_t at = formatting_.size(); at-- > 0;) {
        if (formatting_[at].name.empty())
            return -1;
        if (formatting_[at].name == name)
            return static_cast<int64_t>(at);
    }
    return -1;
}

void OpenElements::forget(size_t at) {
    formatting_.erase(formatting_.begin() + static_cast<ptrdiff_t>(at));
}

void OpenElements::forget_to_marker() {
    while (!formatting_.empty()) {
        bool marker = formatting_.back().name.empty();
        formatting_.pop_back();
        if (marker)
            return;
    }
}

void OpenElements::remember_formatting(std::string_view attributes,
                                       Effect effect) {
    if (stack_.empty())
        return;
    const Element& element = stack_.back();
    size_t start = formatting_.size();
    while (start > 0 && !formatting_[start - 1].name.empty())
        --start;
    // Three alike are kept, as browsers keep them; past max_formatting
    // the oldest is forgotten.
    size_t alike = 0;
    size_t first_alike = 0;
    for (size_t at = start; at < formatting_.size(); ++at)
        if (formatting_[at].name == element.name &&
            formatting_[at].attributes == attributes && alike++ == 0)
            first_alike = at;
    if (alike >= 3)
        forget(first_alike);
    else if (formatting_.size() - start >= max_formatting)
        forget(least_needed(start));
    formatting_.push_back({element.name, std::string(attributes), effect,
                           element.id, stack_.size() - 1});
}

// Of the remembered entries from start, the oldest whose effect the
// others cover (a plain <b>, or a size a later one sets again), so that
// forgetting it changes nothing reopened text shows; else the oldest.
size_t OpenElements::least_needed(size_t start) const {
    size_t hiding = 0;
    bool later_tiny = false, later_invisible = false;
    std::array<char, max_formatting + 1> needed{};
    for (const Formatting& entry : std::span(formatting_).subspan(start))
        hiding += entry.effect.hides;
    for (size_t at = formatting_.size(); at-- > start;) {
        const Effect& effect = formatting_[at].effect;
        needed[at - start] =
            (effect.hides && hiding == 1) ||
            (effect.tiny != Effect::Change::keep && !later_tiny) ||
            (effect.invisible != Effect::Change::keep && !later_invisible);
        later_tiny = later_tiny || effect.tiny != Effect::Change::keep;
        later_invisible =
            later_invisible || effect.invisible != Effect::Change::keep;
    }
    for (size_t at = start; at < formatting_.size(); ++at)
        if (!needed[at - start])
            return at;
    return start;
}

void OpenElements::reopen_formatting() {
    size_t at = formatting_.size();
    while (at > 0 && !formatting_[at - 1].name.empty() &&
           !is_open(formatting_[at - 1]))
        --at;
    // Reopening stops at the depth kept, where opening would end an
    // element instead.
    for (; at < formatting_.size() && stack_.size() + 1 < max_depth; ++at) {
        Formatting& entry = formatting_[at];
        open(entry.name, entry.effect.inside(shown_here()), entry.effect);
        entry.id = stack_.back().id;
        entry.position = stack_.size() - 1;
    }
}

void OpenElements::make_room() {
    if (stack_.size() >= max_depth)
        pop();
}

Shown OpenElements::shown_here() const {
    if (stack_.empty() || !(stack_.back().traits & table_context))
        return shown();
    int64_t table = topmost("table");
    return table > 0 ? stack_[static_cast<size_t>(table - 1)].shown : Shown{};
}

bool OpenElements::in_foreign_content() const {
    return foreign_open_ > 0;
}

bool OpenElements::break_out_of_foreign(std::string_view name,
                                        bool font_styled) {
    if (!in_foreign_content() ||
        !(has(name, breakout) || (name == "font" && font_styled)))
        return false;
    pop_through(topmost("svg") > topmost("math") ? "svg" : "math");
    return true;
}

void OpenElements::end_implied_by(std::string_view name) {
    uint16_t traits = traits_of(name);
    if (((traits & p_ender) || (name == "table" && standards_mode_)) &&
        is_open_in("p", in_button_scope))
        pop_through("p");
    // A table in a table, but in no cell, ends the first.
    if (name == "table" && !stack_.empty() &&
        (stack_.back().traits & table_context))
        pop_through("table");
    if ((traits & table_part) && name != "caption" &&
        is_open_in("caption", in_table_scope))
        pop_through("caption");
    if (name == "button" && is_open_in(name, in_scope))
        pop_through(name);
    if ((traits & heading) && !stack_.empty() &&
        (stack_.back().traits & heading))
        pop();
    if (name == "li" && is_open_in("li", in_list_item_scope))
        pop_through("li");
    if (name == "dd" || name == "dt")
        pop_through_topmost({"dd", "dt"}, in_definition_scope);
    // A cell ends the open cell; a row the open row (and its cells); a
    // row group the open row group (and its rows).
    if (name == "td" || name == "th") {
        pop_through_topmost({"td", "th"}, in_table_scope);
        clear_back_to({"tr", "tbody", "thead", "tfoot", "table"});
    } else if (name == "tr") {
        pop_through_topmost({"tr"}, in_table_scope);
        clear_back_to({"tbody", "thead", "tfoot", "table"});
    } else if (traits & row_group) {
        pop_through_topmost({"tbody", "thead", "tfoot"}, in_table_scope);
        clear_back_to({"table"});
    } else if (name == "caption" || name == "colgroup" || name == "col") {
        clear_back_to({"table"});
    }
    if (name == "option" || name == "optgroup") {
        if (!stack_.empty() && stack_.back().name == "option")
            pop();
        if (name == "optgroup" && !stack_.empty() &&
            stack_.back().name == "optgroup")
            pop();
    }
    // Ruby annotations end the open ones (HTML's implied end tags).
    if ((name == "rb" || name == "rtc" || name == "rp" || name == "rt") &&
        is_open_in("ruby", in_scope)) {
        static constexpr std::string_view implied[] = {
            "dd", "dt", "li", "optgroup", "option", "p", "rb", "rp", "rt"};
        while (
            !stack_.empty() &&
            (std::find(std::begin(implied), std::end(implied),
                       stack_.back().name) != std::end(implied) ||
             ((name == "rb" || name == "rtc") && stack_.back().name == "rtc")))
            pop();
    }
    // An <a> in an <a>, or <nobr> in <nobr>, ends the first, which is
    // not opened again.
    if (name == "a" || name == "nobr") {
        int64_t at = remembered(name);
        if (at >= 0)
            forget(static_cast<size_t>(at));
        if (is_open_in(name, in_scope))
            pop_through(name);
    }
}

// Elements opened in a table outside its cells (shown before the table)
// end where a table part starts: HTML's "clear the stack back to a
// table context".
void OpenElements::clear_back_to(
    std::initializer_list<std::string_view> contexts) {
    int64_t table = topmost("table");
    if (table < 0)
        return;
    while (static_cast<int64_t>(stack_.size()) > table + 1 &&
           std::find(contexts.begin(), contexts.end(), stack_.back().name) ==
               contexts.end() &&
           stack_.back().name != "template")
        pop();
}

void OpenElements::open(std::string_view name, Shown shown, Effect effect) {
    make_room();
    uint16_t traits = traits_of(name);
    Element element{std::string(name),
                    shown,
                    next_id_++,
                    (traits & marker) != 0,
                    traits,
                    effect,
                    {}};
    if (element.marker)
        formatting_.push_back({});
    push(std::move(element));
}

void OpenElements::push(Element element) {
    if (element.name == "svg" || element.name == "math")
        ++foreign_open_;
    uint32_t here = static_cast<uint32_t>(stack_.size());
    positions_[element.name].push_back(here);
    stack_.push_back(std::move(element));
    set_bounds(here);
}

// How an element put back on the stack at its top shows its text, from
// its own effect: inside the element below it, or, below a table part
// that holds no such content, inside the table's parent.
Shown OpenElements::shown_pushed(const Element& element) const {
    if (stack_.empty())
        return element.effect.inside(Shown{});
    return element.effect.inside(
        (element.traits & table_part) ? stack_.back().shown : shown_here());
}

// Puts back elements taken off the stack, in order, each shown anew
// from its effect and its new parent; a remembered formatting element
// is found again where it now stands.
void OpenElements::push_again(std::vector<Element>& elements) {
    for (Element& element : elements) {
        element.shown = shown_pushed(element);
        if (element.traits & formatting_element)
            for (Formatting& entry : formatting_)
                if (!entry.name.empty() && entry.id == element.id)
                    entry.position = stack_.size();
        push(std::move(element));
    }
}

int64_t OpenElements::remembered_id(uint64_t id) const {
    for (size_t at = formatting_.size(); at-- > 0;)
        if (!formatting_[at].name.empty() && formatting_[at].id == id)
            return static_cast<int64_t>(at);
    return -1;
}

// HTML's adoption agency, for how far a formatting element's style
// reaches: at its end tag, a block opened inside it (the furthest
// block) moves out of it, keeping its own content, which stays inside
// a copy of the formatting element; the formatting elements between
// them (three at most) go with the block. Ids and list entries move
// with the elements, so the copy is the element, placed anew.
void OpenElements::adopt(std::string_view name) {
    for (int outer = 0; outer < 8; ++outer) {
        int64_t at = remembered(name);
        if (at < 0)
            return;
        Formatting entry = formatting_[static_cast<size_t>(at)];
        if (!is_open(entry)) {
            forget(static_cast<size_t>(at));
            return;
        }
        if (!is_open_in(name, in_scope))
            return;
        size_t f = entry.position;
        size_t block = f + 1;
        while (block < stack_.size() &&
               !(stack_[block].traits & special_element))
            ++block;
        // Each pass moves every element above the formatting one, up to
        // eight passes an end tag: past the budget, hostile nesting
        // gets the end tag's plain meaning instead.
        size_t cost = stack_.size() - f;
        bool affordable = adoption_budget_ >= cost;
        if (affordable)
            adoption_budget_ -= cost;
        if (block == stack_.size() || !affordable) {
            forget(static_cast<size_t>(at));
            while (stack_.size() > f)
                pop();
            return;
        }
        // No marker lies above an element in scope, so taking these off
        // the stack forgets no remembered element.
        std::vector<Element> taken = take_from(f);
        size_t furthest = block - f;
        std::vector<Element> placed;
        int counted = 0;
        for (size_t k = furthest - 1; k >= 1; --k) {
            int64_t remembered_at = remembered_id(taken[k].id);
            if (remembered_at >= 0 && ++counted <= 3) {
                placed.insert(placed.begin(), std::move(taken[k]));
                continue;
            }
            if (remembered_at < 0)
                ++counted;
            else
                forget(static_cast<size_t>(remembered_at));
        }
        placed.push_back(std::move(taken[furthest]));
        placed.push_back(std::move(taken[0]));
        for (size_t k = furthest + 1; k < taken.size(); ++k)
            placed.push_back(std::move(taken[k]));
        push_again(placed);
    }
}

void OpenElements::apply_to_body(Effect effect) {
    int64_t body = topmost("body");
    if (body < 0)
        return;
    size_t at = static_cast<size_t>(body);
    stack_[at].effect.hides = stack_[at].effect.hides || effect.hides;
    if (stack_[at].effect.tiny == Effect::Change::keep)
        stack_[at].effect.tiny = effect.tiny;
    if (stack_[at].effect.invisible == Effect::Change::keep)
        stack_[at].effect.invisible = effect.invisible;
    std::vector<Element> taken = take_from(at);
    push_again(taken);
}

// Takes the elements from at up off the stack as they are, for
// push_again: unlike pop, nothing remembered is forgotten.
std::vector<OpenElements::Element> OpenElements::take_from(size_t at) {
    std::vector<Element> taken(
        std::make_move_iterator(stack_.begin() + static_cast<ptrdiff_t>(at)),
        std::make_move_iterator(stack_.end()));
    for (size_t k = stack_.size(); k-- > at;)
        unindex(taken[k - at].name);
    stack_.resize(at);
    return taken;
}

void OpenElements::set_bounds(size_t at) {
    Element& element = stack_[at];
    for (size_t scope = 0; scope < scope_kinds; ++scope)
        element.bound[scope] =
            bounds(element.name, element.traits, static_cast<Scope>(scope))
                ? static_cast<uint32_t>(at + 1)
            : at == 0 ? 0
                      : stack_[at - 1].bound[scope];
}

// Costs the elements above at; each <form> opens above them all, and
// only one form is open at a time, so each is walked once per form.
void OpenElements::remove_at(size_t at) {
    std::vector<uint32_t>& mine = positions_[stack_[at].name];
    mine.erase(std::find(mine.begin(), mine.end(), at));
    if (mine.empty())
        positions_.erase(stack_[at].name);
    stack_.erase(stack_.begin() + static_cast<ptrdiff_t>(at));
    for (size_t above = at; above < stack_.size(); ++above) {
        std::vector<uint32_t>& its = positions_[stack_[above].name];
        *std::lower_bound(its.begin(), its.end(), above + 1) =
            static_cast<uint32_t>(above);
        set_bounds(above);
    }
    for (Formatting& entry : formatting_)
        if (!entry.name.empty() && entry.position > at &&
            entry.position <= stack_.size())
            --entry.position;
}

void OpenElements::close(std::string_view name) {
    if (name == "body" || name == "html")
        return; // text after them is still the body's
    if (name == "form") {
        // Only the form ends: what was opened inside it stays open.
        in_form_ = false;
        if (is_open_in("form", in_scope))
            remove_at(static_cast<size_t>(topmost("form")));
        return;
    }
    Scope scope = in_scope;
    if (name == "p")
        scope = in_button_scope;
    else if (name == "li")
        scope = in_list_item_scope;
    else if (name == "dd" || name == "dt")
        scope = in_definition_scope;
    else if (has(name, cell) || has(name, row_group) || name == "tr" ||
             name == "table")
        scope = in_table_scope;
    else if (has(name, heading)) {
        // Any heading's end tag ends the open heading, whatever its level.
        pop_through_topmost({"h1", "h2", "h3", "h4", "h5", "h6"}, in_scope);
        return;
    } else if (has(name, formatting_element)) {
        // A remembered one already ended is forgotten; one open ends
        // with what was opened inside it, if nothing bounds it.
        int64_t at = remembered(name);
        if (at >= 0) {
            Formatting entry = formatting_[static_cast<size_t>(at)];
            if (!is_open(entry)) {
                forget(static_cast<size_t>(at));
                return;
            }
            adopt(name);
            return;
        }
    } else if (!has(name, special_element)) {
        // Any other end tag ends its element unless a special element
        // was opened inside it: "<span><div>x</span>y" leaves y in the
        // span.
        int64_t at = topmost(name);
        if (at >= 0 &&
            at + 1 >= static_cast<int64_t>(stack_.back().bound[past_special]))
            pop_through(name);
        return;
    }
    if (is_open_in(name, scope))
        pop_through(name);
}

} // namespace portcullis::text
