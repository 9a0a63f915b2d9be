package io.moemesh.gateway.openai;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites Jinja whitespace control that Jinjava 2.8 ignores into text it renders the same as
 * Jinja2 does. Jinjava honours {@code {%- -%}} on tags, but prints the whitespace around
 * {@code {{- -}}} and {@code {#- -#}}, which nearly every Hugging Face template uses
 * ({@code {{- bos_token }}} on an indented line); Jinja2 strips all whitespace, newlines included,
 * on that side of the marker. So does this rewrite, in the template's source, before Jinjava sees
 * it. It also drops one trailing newline, as Jinja2's lexer does when {@code keep_trailing_newline}
 * is off (Jinjava's option of that name trims the output instead, which is not the same).
 * {@code {% raw %}} blocks are left as they are; markers inside string literals are rewritten too (a
 * template would have to print the characters "{{-" for that to matter).
 */
final class JinjaWhitespace {

    private static final Pattern RAW = Pattern.compile("(?s)\\{%[-+]?\\s*raw\\s*[-+]?%}.*?\\{%[-+]?\\s*endraw\\s*[-+]?%}");
    private static final Pattern OPEN = Pattern.compile("\\s*\\{([{#])-");
    private static final Pattern CLOSE = Pattern.compile("-([}#])}\\s*");

    private JinjaWhitespace() {
    }

    static String normalize(String source) {
        String text = source.endsWith("\r\n") ? source.substring(0, source.length() - 2)
                : source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
        StringBuilder out = new StringBuilder(text.length());
        Matcher raw = RAW.matcher(text);
        int from = 0;
        while (raw.find()) {
            out.append(stripMarkers(text.substring(from, raw.start()))).append(raw.group());
            from = raw.end();
        }
        return out.append(stripMarkers(text.substring(from))).toString();
    }

    private static String stripMarkers(String text) {
        String opened = OPEN.matcher(text).replaceAll("{$1");
        return CLOSE.matcher(opened).replaceAll("$1}");
    }
}
