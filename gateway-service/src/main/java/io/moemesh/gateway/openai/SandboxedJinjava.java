package io.moemesh.gateway.openai;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;

/**
 * A Jinjava set up to render chat templates as transformers does: its sandboxed Jinja environment
 * with {@code trim_blocks} and {@code lstrip_blocks}, {@code raise_exception} among the globals,
 * the {@code generation} tag of its {@code AssistantTracker} extension, and nothing a template can
 * reach outside the conversation: no file or classpath loads, no re-rendering of text that the
 * messages carry.
 */
final class SandboxedJinjava {

    private SandboxedJinjava() {
    }

    /** @param maxOutputChars the most a render may write; past it rendering fails */
    static Jinjava create(long maxOutputChars) {
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // Jinjava's option trims the output, not the source as Jinja2 does: JinjaWhitespace does that
                .withKeepTrailingNewline(true)
                // on, Jinjava would render "{{ ... }}" found in a message's content: template injection
                .withNestedInterpretationEnabled(false)
                .withMaxOutputSize(maxOutputChars)
                .withMaxStringLength(maxOutputChars)
                .build());
        // include, import, from and extends all load through the locator: Jinjava's default reads the classpath
        jinjava.setResourceLocator((name, encoding, interpreter) -> {
            throw new IOException("a chat template cannot load another template ('" + name + "')");
        });
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                TemplateFunctions.raiseExceptionMethod()));
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        return jinjava;
    }
}
