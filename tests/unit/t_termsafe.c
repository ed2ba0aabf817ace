#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/termsafe.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

static const char *
esc(struct buf *b, const char *s, size_t n, int json)
{
    buf_reset(b);
    if (json)
        termsafe_add_json(b, s, n);
    else
        termsafe_add(b, s, n);
    return buf_cstr(b);
}

#define ESC(b, lit, json) esc(b, lit, sizeof(lit) - 1, json)

TEST(termsafe_shows_controls_instead_of_sending_them)
{
    struct buf b = BUF_INIT;

    /* a colour, a window title (OSC ... BEL), a carriage return, DEL */
    CHECK_STR(ESC(&b, "\x1b[31mred", 0), "\\x1b[31mred");
    CHECK_STR(ESC(&b, "\x1b]0;pwn\x07", 0), "\\x1b]0;pwn\\x07");
    CHECK_STR(ESC(&b, "a\rb\x7f", 0), "a\\x0db\\x7f");
    /* tab and newline stay, and so does valid UTF-8 text */
    CHECK_STR(ESC(&b, "a\tb\nc \xc3\xa9\xe2\x82\xac", 0), "a\tb\nc \xc3\xa9\xe2\x82\xac");
    /* C1 CSI as UTF-8 (U+009B) and as a raw 8-bit byte */
    CHECK_STR(esc(&b,
                  "x\xc2\x9b"
                  "2J",
                  5, 0),
              "x\\xc2\\x9b2J");
    CHECK_STR(esc(&b,
                  "x\x9b"
                  "2J",
                  4, 0),
              "x\\x9b2J");
    /* NUL, an overlong ESC and a truncated sequence */
    CHECK_STR(ESC(&b, "a\0b", 0), "a\\x00b");
    CHECK_STR(ESC(&b, "\xc0\x9b", 0), "\\xc0\\x9b");
    CHECK_STR(ESC(&b, "\xe2\x82", 0), "\\xe2\\x82");
    CHECK_INT(termsafe_is_clean("plain \xc3\xa9", 8), 1);
    CHECK_INT(termsafe_is_clean("\x1b", 1), 0);
    buf_release(&b);
}

TEST(termsafe_json_keeps_json_valid)
{
    struct buf b = BUF_INIT;

    CHECK_STR(ESC(&b, "{\"a\":\"\x7f\xc2\x9b\xff\"}", 1), "{\"a\":\"\\u007f\\u009b\\ufffd\"}");
    CHECK_STR(ESC(&b, "{\n\t\"a\":\"\\u001b\"\n}", 1), "{\n\t\"a\":\"\\u001b\"\n}");
    buf_release(&b);
}
