// The elements open at a point of an HTML document, kept as a browser's
// parser keeps them, so that text hidden by an element is hidden exactly
// as far as a reader's browser hides it: no further (spam would hide its
// pitch behind a <p> a browser has long closed) and no less (hidden words
// would be read as shown).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace portcullis::text {

/// How an element shows the text it holds.
struct Shown {
    bool gone = false;      ///< display:none or hidden: nothing undoes it
    bool tiny = false;      ///< a font too small to read
    bool invisible = false; ///< visibility hidden or collapse
    bool hidden() const { return gone || tiny || invisible; }
};

/// What an element's own markup does to how the text inside it is
/// shown, whatever its parent: kept so that an element a browser opens
/// again (a <font> reopened in the next paragraph) hides as it did.
struct Effect {
    enum class Change : uint8_t { keep, set, clear };
    bool hides = false; ///< display:none, the hidden attribute, <template>
    Change tiny = Change::keep;
    Change invisible = Change::keep;

    /// How text inside such an element is shown, inside parent.
    Shown inside(Shown parent) const;
};

/// The stack of open elements. A start tag first ends what a browser's
/// parser ends before it (an open <p> before a block, <li> before <li>,
/// <td> before <td> or <tr>, <option> before <option>, <a> before <a>);
/// an end tag ends the element it names and every element opened inside
/// it, where a browser's parser would (WHATWG HTML, "in body" and table
/// insertion modes, simplified: an end tag of a formatting element ends
/// it across blocks instead of adopting them, and content fostered out
/// of a table is only shown as the table's parent is, see shown_here).
/// Formatting elements (b, i, font, ...; not span) ended by another
/// element's end are opened again before the next text, as a browser
/// reconstructs its active formatting elements: "<p><font
/// style=font-size:0>x</p><p>y" hides y too.
/// Every step costs the same however deep the stack, and reopening at
/// most max_formatting elements.
class OpenElements {
public:
    /// The depth kept, as in Blink: an element opened deeper takes the
    /// place of the deepest one, as its sibling.
    static constexpr size_t max_depth = 512;

    /// The formatting elements remembered to be reopened, past the last
    /// cell, caption, object, marquee, applet or template (a browser's
    /// markers). Browsers keep three alike and no limit of different
    /// ones; past this one is forgotten, so that reopening stays cheap:
    /// the oldest whose effect on reopened text the others cover.
    static constexpr size_t max_formatting = 32;

    /// Whether a browser drops a start tag of name here: a table part
    /// outside any table, <head> or <frame> in the body, a second
    /// <body> or <html>.
    bool ignores_start(std::string_view name);

    /// Ends the elements a start tag of name ends before it opens.
    void end_implied_by(std::string_view name);

    /// Past max_depth, ends the deepest element, so that one opened now
    /// takes its place as its sibling, as in Blink and WebKit.
    void make_room();

    /// How text, or an element not of a table, is shown here: inside a
    /// table but outside its cells, such content goes before the table
    /// (HTML's foster parenting), shown as the table's parent is.
    Shown shown_here() const;

    /// Whether an SVG or MathML element is open: tags there are SVG or
    /// MathML, until an HTML one (p, div, b, ...) ends it.
    bool in_foreign_content() const;

    /// Ends the SVG or MathML element an HTML start tag of name breaks
    /// out of; returns whether it did.
    bool break_out_of_foreign(std::string_view name, bool font_styled);

    /// How many elements the adoption agency may move in all: one end
    /// tag moves the elements above its formatting element, up to eight
    /// times, so hostile nesting could cost some 4,000 moves a tag.
    void set_adoption_budget(size_t moves) { adoption_budget_ = moves; }

    /// "<!DOCTYPE html>" came first: <table> ends an open <p>.
    void set_standards_mode() { standards_mode_ = true; }

    /// Opens an element of name (lower case), showing its text as shown;
    /// effect is what its own markup does, kept to show it anew where
    /// it moves (the adoption agency, a second <body>'s attributes).
    void open(std::string_view name, Shown shown, Effect effect = {});

    /// A second <body> tag's style: browsers add the attributes the
    /// first lacked to the body, so its effect reaches all inside it.
    void apply_to_body(Effect effect);

    /// Remembers the element just opened, a formatting element with
    /// these attributes and effect, to be opened again if another
    /// element's end ends it.
    void remember_formatting(std::string_view attributes, Effect effect);

    /// Opens again the remembered formatting elements that have been
    /// ended, as a browser does before text and most start tags.
    void reopen_formatting();

    /// Whether a start tag of name reopens ended formatting elements
    /// first (in body: text, formatting and other inline elements do;
    /// blocks and table parts do not).
    static bool reopens_formatting_before(std::string_view name);

    /// Whether name is a formatting element.
    static bool is_formatting(std::string_view name);

    /// Ends the element an end tag of name names, with those inside it;
    /// an end tag with nothing open to end is ignored, as browsers do.
    void close(std::string_view name);

    /// How the text at this point is shown.
    Shown shown() const {
        return stack_.empty() ? Shown{} : stack_.back().shown;
    }

    size_t depth() const { return stack_.size(); }

private:
    // The kinds of scope of the HTML parser, and the special elements
    // that stop an end tag of another name.
    enum Scope : size_t {
        in_scope,
        in_button_scope,
        in_list_item_scope,
        in_definition_scope,
        in_table_scope,
        past_special,
        scope_kinds
    };

    struct Element {
        std::string name;
        Shown shown;
        uint64_t id = 0;     ///< unique in the document
        bool marker = false; ///< a cell, caption, ...: see max_formatting
        uint16_t traits = 0; ///< the lists its name is on
        Effect effect;       ///< what its own markup does
        /// For each kind, 1 + the position of the nearest element at or
        /// below this one that bounds it; 0 for none.
        std::array<uint32_t, scope_kinds> bound{};
    };

    static bool bounds(std::string_view name, uint16_t traits, Scope scope);
    bool is_open_in(std::string_view name, Scope scope) const;
    void pop_through_topmost(std::initializer_list<std::string_view> names,
                             Scope scope);
    /// The position of the topmost open element of name, or -1.
    int64_t topmost(std::string_view name) const;
    void pop_through(std::string_view name);
    void pop();
    void push(Element element);
    void unindex(const std::string& name);
    Shown shown_pushed(const Element& element) const;
    void push_again(std::vector<Element>& elements);
    std::vector<Element> take_from(size_t at);
    /// The list entry of the element of id, or -1.
    int64_t remembered_id(uint64_t id) const;
    /// Ends the formatting element an end tag of name names.
    void adopt(std::string_view name);
    /// Removes the element at from the stack, leaving those above it
    /// open: the one thing </form> does.
    void remove_at(size_t at);
    void set_bounds(size_t at);
    void clear_back_to(std::initializer_list<std::string_view> contexts);

    /// A formatting element remembered, or a marker (empty name).
    struct Formatting {
        std::string name;
        std::string attributes;
        Effect effect;
        uint64_t id = 0;     ///< of the element that holds it now
        size_t position = 0; ///< where that element stands if still open
    };
    bool is_open(const Formatting& entry) const {
        return entry.position < stack_.size() &&
               stack_[entry.position].id == entry.id;
    }
    /// The remembered entry of name past the last marker, or -1.
    int64_t remembered(std::string_view name) const;
    void forget(size_t at);
    size_t least_needed(size_t start) const;
    void forget_to_marker();

    std::vector<Element> stack_;
    std::vector<Formatting> formatting_;
    uint64_t next_id_ = 1;
    /// Elements the adoption agency may still move, set by
    /// set_adoption_budget.
    size_t adoption_budget_ = size_t{1} << 18;
    size_t foreign_open_ = 0; ///< svg and math elements open
    bool standards_mode_ = false;
    bool seen_body_ = false;
    bool seen_html_ = false;
    /// A form was opened and no </form> came: another <form> is
    /// dropped (HTML's form element pointer).
    bool in_form_ = false;
    struct NameHash {
        using is_transparent = void;
        size_t operator()(std::string_view name) const {
            return std::hash<std::string_view>{}(name);
        }
    };
    /// Where the open elements of each name stand, lowest first.
    std::unordered_map<std::string, std::vector<uint32_t>, NameHash,
                       std::equal_to<>>
        positions_;
};

} // namespace portcullis::text
