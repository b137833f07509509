// Small RAII helpers around GMime's GObject types and its one-time setup.
#pragma once

#include <gmime/gmime.h>

#include <memory>

namespace portcullis::mime {

/// Initialises GMime once per process; safe to call from anywhere.
void ensure_gmime();

/// Releases a GObject reference at scope end.
struct GObjectUnref {
    void operator()(void* object) const {
        if (object)
            g_object_unref(object);
    }
};

/// An owned GObject pointer.
template <class T> using GPtr = std::unique_ptr<T, GObjectUnref>;

} // namespace portcullis::mime
