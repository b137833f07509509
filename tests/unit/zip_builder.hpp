// ZIP archives of stored members for the tests, bent as a test needs:
// names and extra fields per header, declared sizes and counts that lie,
// offsets shifted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace portcullis::test {

inline void put(std::string& out, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i, value >>= 8)
        out += static_cast<char>(value & 0xFF);
}

// An Info-ZIP Unicode Path extra field naming the member.
inline std::string unicode_path(const std::string& name) {
    std::string field;
    put(field, 0x7075, 2);
    put(field, 5 + name.size(), 2);
    field += '\x01';
    put(field, 0, 4); // CRC of the header name, unchecked
    return field + name;
}

// One stored member, its names and extra fields given per header.
struct Member {
    std::string central_name;
    std::string local_name;
    std::string data;
    std::string central_extra;
    std::string local_extra;
    /// The uncompressed size the headers declare; the data's own unless
    /// set.
    uint64_t declared_bytes = UINT64_MAX;
};

// A member whose headers agree, as most archives have them.
inline Member stored(const std::string& name, const std::string& data) {
    return {name, name, data, "", ""};
}

// Builds a ZIP of stored members the way the tests need it bent.
struct ZipBuilder {
    std::vector<Member> members;
    uint64_t declared_entries = UINT64_MAX; ///< the real count unless set
    uint32_t offset_shift = 0; ///< added to every stored local offset

    std::string build() const {
        std::string out, directory;
        for (const Member& m : members) {
            size_t offset = out.size();
            out += header(0x04034b50, m, m.local_name, m.local_extra);
            out += m.data;
            std::string entry = "PK\x01\x02";
            put(entry, 20, 2); // made by
            entry += header(0, m, m.central_name, m.central_extra).substr(4);
            entry.insert(entry.size() - m.central_name.size() -
                             m.central_extra.size(),
                         central_tail(offset + offset_shift));
            directory += entry;
        }
        size_t directory_offset = out.size();
        out += directory;
        uint64_t count =
            declared_entries == UINT64_MAX ? members.size() : declared_entries;
        out += "PK\x05\x06";
        put(out, 0, 4);
        put(out, count, 2);
        put(out, count, 2);
        put(out, directory.size(), 4);
        put(out, directory_offset, 4);
        put(out, 0, 2);
        return out;
    }

    // The fields local and central headers share, after the signature.
    static std::string header(uint32_t signature, const Member& m,
                              const std::string& name,
                              const std::string& extra) {
        std::string out;
        put(out, signature, 4);
        put(out, 20, 2); // version needed
        put(out, 0, 2);  // flags
        put(out, 0, 2);  // stored
        put(out, 0, 4);  // time and date
        put(out, 0, 4);  // CRC, unchecked here
        put(out, m.data.size(), 4);
        put(out,
            m.declared_bytes == UINT64_MAX ? m.data.size() : m.declared_bytes,
            4);
        put(out, name.size(), 2);
        put(out, extra.size(), 2);
        return out + name + extra;
    }

    // Comment length, disk, attributes and the local header offset.
    static std::string central_tail(uint64_t offset) {
        std::string out;
        put(out, 0, 2);
        put(out, 0, 2);
        put(out, 0, 2);
        put(out, 0, 4);
        put(out, offset, 4);
        return out;
    }
};

} // namespace portcullis::test
