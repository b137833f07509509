"""Archives for policy-check tests in formats Python cannot write (7z,
ISO 9660), written by the system's libarchive through ctypes, and the
mail that carries one as its attachment."""
import base64, ctypes, ctypes.util

_la = ctypes.CDLL(ctypes.util.find_library("archive") or "libarchive.so.13")
_P = ctypes.c_void_p
for _name, _result, _args in [
        ("archive_write_new", _P, []),
        ("archive_write_set_format_by_name", ctypes.c_int,
         [_P, ctypes.c_char_p]),
        ("archive_write_open_memory", ctypes.c_int,
         [_P, _P, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]),
        ("archive_entry_new", _P, []),
        ("archive_entry_set_pathname", None, [_P, ctypes.c_char_p]),
        ("archive_entry_set_size", None, [_P, ctypes.c_int64]),
        ("archive_entry_set_filetype", None, [_P, ctypes.c_uint]),
        ("archive_entry_set_perm", None, [_P, ctypes.c_uint]),
        ("archive_write_header", ctypes.c_int, [_P, _P]),
        ("archive_write_data", ctypes.c_ssize_t,
         [_P, ctypes.c_char_p, ctypes.c_size_t]),
        ("archive_entry_free", None, [_P]),
        ("archive_write_close", ctypes.c_int, [_P]),
        ("archive_write_free", ctypes.c_int, [_P])]:
    getattr(_la, _name).restype = _result
    getattr(_la, _name).argtypes = _args


def archive(format_name, files):
    """Returns the bytes of an archive in format_name ("7zip", "iso9660")
    holding each (name, bytes) of files as a regular file."""
    buffer = ctypes.create_string_buffer(4 << 20)
    used = ctypes.c_size_t()
    writer = _la.archive_write_new()
    _la.archive_write_set_format_by_name(writer, format_name.encode())
    _la.archive_write_open_memory(writer, buffer, len(buffer),
                                  ctypes.byref(used))
    for name, data in files:
        entry = _la.archive_entry_new()
        _la.archive_entry_set_pathname(entry, name.encode())
        _la.archive_entry_set_size(entry, len(data))
        _la.archive_entry_set_filetype(entry, 0o100000)
        _la.archive_entry_set_perm(entry, 0o644)
        _la.archive_write_header(writer, entry)
        _la.archive_write_data(writer, data, len(data))
        _la.archive_entry_free(entry)
    _la.archive_write_close(writer)
    _la.archive_write_free(writer)
    return buffer.raw[:used.value]


def write_message(path, name, content_type, data):
    """Writes a mail from ann@example.org to bob@example.com with data
    attached under name."""
    b64 = base64.encodebytes(data).decode()
    with open(path, "w") as f:
        f.write("From: <ann@example.org>\nTo: <bob@example.com>\n"
                "Subject: Files\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="sep"\n\n'
                "--sep\nContent-Type: text/plain\n\nSee the files.\n"
                f"--sep\nContent-Type: {content_type}\n"
                f'Content-Disposition: attachment; filename="{name}"\n'
                f"Content-Transfer-Encoding: base64\n\n{b64}--sep--\n")
