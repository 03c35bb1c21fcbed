/* anonymize._speedups: the module's functions and their documentation (implementations in copy_text.c, leak_keys.c,
 * row.c, rows.c, scan.c, feistel.c, keyed_digest.c,
 * indexer.c, digits.c, address.c, json_walk.c, json_load.c, pii_gate.c with its PiiGate type, known_gate.c,
 * known_literals.c with its KnownLiterals type, card_part.c with its CardPartMemo type,
 * person_latin.c, person_ja.c). */
#include "speedups.h"

PyDoc_STRVAR(leak_key_doc, "leak_key(value: str) -> str\n\nleak_keys.leak_key: the comparable form of a value.");
PyDoc_STRVAR(name_key_doc, "name_key(value: str) -> str\n\ntransformers.keyed.name_key: NFKC, whitespace removed, "
                            "case-folded.");
PyDoc_STRVAR(latin_text_doc, "latin_text(text: str) -> bool\n\nlocales.is_latin_text: a Latin letter and no kana "
                             "or kanji.");
PyDoc_STRVAR(fill_digits_doc, "fill_digits(template: str, digits: str) -> str\n\ndigits.DigitShape.fill's "
                               "substitution: the template's ASCII digits replaced in order by `digits`.");
PyDoc_STRVAR(leak_keys_doc, "leak_keys(value: str) -> list[str]\n\nleak_keys.leak_keys: the key, and the bare "
                            "digits of a phone/card/account-shaped value.");
PyDoc_STRVAR(hashed_keys_doc, "hashed_keys(value: str, salt: str) -> tuple\n\nleak_keys.hashed_keys: () when the "
                              "value has no key, else (first key, hash(salt + key) for each key...).");
PyDoc_STRVAR(text_output_keys_doc, "text_output_keys(value: str) -> list[str]\n\nleak_keys.output_keys(value) of a "
                                   "plain (non-JSON) value: its keys and its tokens' keys.");
PyDoc_STRVAR(text_output_hashes_doc, "text_output_hashes(value: str, salt: str) -> list[int]\n\n"
                                     "leak_keys.text_output_hashes: hash(salt + key) for each output key.");
PyDoc_STRVAR(transform_lines_doc, "transform_lines(lines, width, slots, row_arg, lazy_row, salt, seen_other, "
                                  "seen_identifying, seen_limit, failed) -> tuple\n\n"
                                  "pipeline.rows.RowTransformer's row loop; see pipeline.native_rows.NativeLoop.");
PyDoc_STRVAR(scan_lines_doc, "scan_lines(lines, wanted, is_json, salt, text_cache, json_cache, cache_limit) -> "
                             "tuple\n\nverify.scan_lines' loop: (hashes, positions, values).");

PyDoc_STRVAR(json_rest_doc, "json_rest(document, covered, ignored, contexts, context_of, leaves, transform_in, "
                             "transform, row, ids, memo, stamp, generation, held, encode, marker, memo_max, "
                             "max_length) -> document\n\njson_paths.JsonPaths.transform's walk of the leaves no "
                             "path rule covers (json_walk.c).");

PyDoc_STRVAR(json_rules_doc, "json_rules(document, plan, current, rules, leaf, rewrite_steps[, leaf_state]) -> "
                              "document\n\njson_paths.JsonPaths.transform's loop over its path rules (json_walk.c); "
                              "with leaf_state (covered, kept, found, faithful, row, scalar_text, back) the leaves of "
                              "rules without document refs are done in C.");

PyDoc_STRVAR(json_strings_doc, "json_strings(node) -> list[str]\n\nleak_keys._json_strings: the string leaves of a "
                                "parsed JSON value, in document order (json_walk.c).");

PyDoc_STRVAR(json_output_keys_doc, "json_output_keys(node) -> list[str]\n\nleak_keys.output_keys of a JSON "
                                    "output read from its parsed document: each string leaf's text_output_keys, in "
                                    "document order, in one list (json_walk.c).");

PyDoc_STRVAR(json_encode_doc, "json_encode(document) -> str | None\n\njson.JSONEncoder(ensure_ascii=False).encode("
                               "document) for a document of JSON's exact types (str keys); None for anything else: "
                               "the caller encodes it in Python (json_encode.c).");

PyDoc_STRVAR(json_load_doc, "json_load(scan_once, text) -> value\n\njson.loads(text) of a str with json's own C scanner "
                             "(json.scanner.c_make_scanner of a default decoder); every refusal a ValueError (json_load.c).");

PyDoc_STRVAR(json_found_items_doc, "json_found_items(found, kinds, memo, origins, fakes, out, kinds_named, "
                                    "plain_items, plain_pieces, identifier, pieces) -> out\n\njson_paths.JsonPaths."
                                    "_items' loop over the path rules' leaves (json_walk.c).");

PyDoc_STRVAR(json_found_items_native_doc, "json_found_items_native(found, ..., pieces, natives, calls, origin, fake) "
                                           "-> out\n\njson_found_items with the plain subs' C leak_items and "
                                           "_plain_pieces in C (json_walk.c).");

PyDoc_STRVAR(json_leaf_items_doc, "json_leaf_items(leaves, out, detections, identifier, origins, origin, ids) -> "
                                   "out\n\njson_paths.JsonPaths._items' loop over the leaves left to free text "
                                   "(json_walk.c).");

PyDoc_STRVAR(card_id_doc, "card_id(text, whole) -> bool\n\nwhole: is `text` a card number kept as an id "
                           "(JsonPaths._identifier's test); else: context.is_card_number(text) (json_walk.c).");

PyDoc_STRVAR(specific_address_doc, "specific_address(value, nameless) -> bool\n\nspecificity.specific_address in C "
                                     "(leak_items.c).");

PyDoc_STRVAR(pii_gate_doc, "pii_gate(text, clues) -> int\n\npii.gate's bitmask of the recognizers whose clues hold "
                             "in `text` (pii_gate.c; the reference is pii.gate._mask).");

PyDoc_STRVAR(known_gate_doc, "known_gate(text, haystack, ascii, other, other_ascii_first) -> bool\n\npii.known_gate: "
                             "could the known values' automaton find a kept spelling in `text` (known_gate.c; the "
                             "reference is pii.known_gate.may_hold).");
PyDoc_STRVAR(person_ja_full_name_doc, "person_ja_full_name(text, starts, surnames_by_first, given_by_first, "
                                        "after_kana) -> (start, end) | None\n\nThe person recognizer's full name with no "
                                        "cue (person_ja.c; the reference is "
                                        "pii.recognizers.person.ja_full_name_reference).");
PyDoc_STRVAR(person_latin_doc, "person_latin(text) -> [(code, start, end, extra), ...]\n\nThe person recognizer's "
                                 "Latin candidates: titles, labels, -san names, first+last pairs (person_latin.c; the "
                                 "reference is pii.recognizers.person.latin_candidates_reference).");

static PyMethodDef methods[] = {
    {"leak_key", (PyCFunction)py_leak_key, METH_O, leak_key_doc},
    {"leak_keys", (PyCFunction)py_leak_keys, METH_O, leak_keys_doc},
    {"name_key", (PyCFunction)py_name_key, METH_O, name_key_doc},
    {"latin_text", (PyCFunction)py_latin_text, METH_O, latin_text_doc},
    {"fill_digits", (PyCFunction)(void (*)(void))py_fill_digits, METH_FASTCALL, fill_digits_doc},
    {"hashed_keys", (PyCFunction)(void (*)(void))py_hashed_keys, METH_FASTCALL, hashed_keys_doc},
    {"text_output_keys", (PyCFunction)py_text_output_keys, METH_O, text_output_keys_doc},
    {"text_output_hashes", (PyCFunction)(void (*)(void))py_text_output_hashes, METH_FASTCALL,
     text_output_hashes_doc},
    {"transform_lines", (PyCFunction)(void (*)(void))py_transform_lines, METH_FASTCALL, transform_lines_doc},
    {"scan_lines", (PyCFunction)(void (*)(void))py_scan_lines, METH_FASTCALL, scan_lines_doc},
    {"json_rest", (PyCFunction)(void (*)(void))py_json_rest, METH_FASTCALL, json_rest_doc},
    {"json_rules", (PyCFunction)(void (*)(void))py_json_rules, METH_FASTCALL, json_rules_doc},
    {"json_strings", (PyCFunction)py_json_strings, METH_O, json_strings_doc},
    {"json_output_keys", (PyCFunction)py_json_output_keys, METH_O, json_output_keys_doc},
    {"json_encode", (PyCFunction)py_json_encode, METH_O, json_encode_doc},
    {"json_load", (PyCFunction)(void (*)(void))py_json_load, METH_FASTCALL, json_load_doc},
    {"json_found_items", (PyCFunction)(void (*)(void))py_json_found_items, METH_FASTCALL, json_found_items_doc},
    {"json_found_items_native", (PyCFunction)(void (*)(void))py_json_found_items_native, METH_FASTCALL,
     json_found_items_native_doc},
    {"json_leaf_items", (PyCFunction)(void (*)(void))py_json_leaf_items, METH_FASTCALL, json_leaf_items_doc},
    {"card_id", (PyCFunction)(void (*)(void))py_card_id, METH_FASTCALL, card_id_doc},
    {"specific_address", (PyCFunction)(void (*)(void))py_specific_address, METH_FASTCALL, specific_address_doc},
    {"pii_gate", (PyCFunction)(void (*)(void))py_pii_gate, METH_FASTCALL, pii_gate_doc},
    {"known_gate", (PyCFunction)(void (*)(void))py_known_gate, METH_FASTCALL, known_gate_doc},
    {"person_latin", (PyCFunction)py_person_latin, METH_O, person_latin_doc},
    {"person_ja_full_name", (PyCFunction)(void (*)(void))py_person_ja_full_name, METH_FASTCALL, person_ja_full_name_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "anonymize._speedups", "A snapshot's per-value hot paths in C (see anonymize/csrc/).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    static PyTypeObject *const types[] = {
#define SPEEDUPS_TYPE_ENTRY(name) &name##Type,
        SPEEDUPS_TYPES(SPEEDUPS_TYPE_ENTRY)
#undef SPEEDUPS_TYPE_ENTRY
    };
    const size_t type_count = sizeof types / sizeof types[0];
    if (ct_init() < 0 || lk_init() < 0)
        return NULL;
    for (size_t i = 0; i < type_count; i++)
        if (PyType_Ready(types[i]) < 0)
            return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL)
        return NULL;
    /* API, and every constant shared with Python under its C name (tests/anonymize/test_native_interface.py) */
    if (PyModule_AddIntConstant(module, "API", SPEEDUPS_API) < 0) {
        Py_DECREF(module);
        return NULL;
    }
#define EXPORT(name)                                                                                                  \
    if (PyModule_AddIntConstant(module, #name, name) < 0) {                                                          \
        Py_DECREF(module);                                                                                            \
        return NULL;                                                                                                  \
    }
    INTERFACE_CONSTANTS(EXPORT)
#undef EXPORT
    if (PyModule_AddStringConstant(module, "BLAKE2B", kd_implementation) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    for (size_t i = 0; i < type_count; i++)
        if (PyModule_AddType(module, types[i]) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    return module;
}
