package io.moemesh.gateway.openai;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.interpret.TemplateError.ErrorReason;
import com.hubspot.jinjava.interpret.TemplateError.ErrorType;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model's chat template, turning an OpenAI-style conversation into the prompt text the model was
 * trained on, as transformers' {@code apply_chat_template} does: the Jinja source from the model's
 * {@code tokenizer_config.json} (which the router passes on in ListModels) rendered with
 * {@code messages} (maps, so that both {@code message['role']} and {@code message.role} work),
 * {@code add_generation_prompt}, {@code bos_token}, {@code eos_token} and {@code raise_exception}.
 * A model without a template gets {@link #DEFAULT_TEMPLATE}. Compile once; {@link #render} is
 * thread-safe.
 *
 * <p>Jinjava is not Python's Jinja2. What Hugging Face templates use and Jinjava does as Jinja2 does:
 * {@code messages[0]['role']}, {@code loop.first}/{@code last}/{@code index0}/{@code length},
 * {@code | trim}, {@code | length}, {@code | tojson}, {@code 'x' in y}, {@code +} and {@code ~} on
 * strings, {@code '\n'} escapes, slices ({@code messages[1:]}, {@code messages[-1]}),
 * {@code namespace(...)}, {@code is string}/{@code is defined}/{@code is none}, {@code set} inside
 * {@code if} (visible after it) and inside {@code for} (not), {@code {%- -%}} and
 * {@code {% continue %}}; {@code {{- -}}} and {@code {#- -#}}, which Jinjava ignores, and a
 * trailing newline of the source, which it keeps, are rewritten first ({@link JinjaWhitespace}).
 * {@code .strip()} and {@code .replace(a, b)} work because Java's
 * {@code String} has methods of those names. What it does not support:
 * <ul>
 *   <li>Python string methods Java lacks, {@code .lstrip()}, {@code .rstrip()}, {@code .lower()},
 *       {@code .upper()}, {@code .title()}, {@code .startswith()}, {@code .endswith()} and
 *       {@code .split()} with no argument, fail the render ({@link ChatTemplateException});
 *       {@code .split(sep)} gives a Java array and {@code '{}'.format(x)} Java's {@code format}: wrong text.
 *   <li>A loop filter, {@code {% for m in messages if m.role != 'system' %}}, is ignored: every item is
 *       visited. {@code loop.previtem} and {@code loop.nextitem} are undefined.
 *   <li>Tags of Jinja2 extensions other than transformers' {@code {% generation %}} ({@link GenerationTag})
 *       are unknown: {@link #compile} rejects the template.
 *   <li>Errors in an expression ({@code {{ a + }}}) are found when rendered, not by {@link #compile}.
 * </ul>
 * Unknown filters and tests, which Jinjava silently renders as nothing, fail the render here, as
 * they fail in Jinja2.
 */
public final class ChatTemplate {

    /**
     * The documented default, for models without a chat template: plain text that any tokenizer
     * can encode and a base model can continue, the same format as the shipped {@code mesh-mini-16e}
     * model's template. A system message is a paragraph of its own; each turn is a
     * {@code User: ...} or {@code Assistant: ...} line; with {@code add_generation_prompt} the text
     * ends in {@code Assistant:} for the model to go on. Special tokens are left out: the tokenizer
     * adds BOS where its post-processor asks for it. Any other role fails the render.
     */
    public static final String DEFAULT_TEMPLATE = """
            {%- for message in messages -%}
            {%- if message['role'] == 'system' -%}
            {{ message['content'] + '\\n\\n' }}
            {%- elif message['role'] == 'user' -%}
            {{ 'User: ' + message['content'] + '\\n' }}
            {%- elif message['role'] == 'assistant' -%}
            {{ 'Assistant: ' + message['content'] + '\\n' }}
            {%- else -%}
            {{ raise_exception('Only system, user and assistant messages are supported, not ' + message['role']) }}
            {%- endif -%}
            {%- endfor -%}
            {%- if add_generation_prompt -%}
            {{ 'Assistant:' }}
            {%- endif -%}""";

    /**
     * Characters one render may write. The gateway's prompt limit is 32 KiB; a template that writes
     * 32 times as much is broken or hostile, and is stopped before it fills the heap.
     */
    static final long MAX_OUTPUT_CHARS = 1L << 20;

    private static final Jinjava JINJAVA = SandboxedJinjava.create(MAX_OUTPUT_CHARS);
    private static final String FAILED = "the model's chat template failed to render: ";
    private static final int MAX_REASON_CHARS = 200;

    private final String source;
    private final String jinjavaSource;
    private final boolean isDefault;
    private final String bosToken;
    private final String eosToken;

    private ChatTemplate(String source, String jinjavaSource, boolean isDefault, String bosToken, String eosToken) {
        this.source = source;
        this.jinjavaSource = jinjavaSource;
        this.isDefault = isDefault;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
    }

    /**
     * @param template the model's Jinja source; null or blank for {@link #DEFAULT_TEMPLATE}
     * @param bosToken the text of the model's BOS token, null or empty when it has none
     * @param eosToken the text of the model's EOS token, null or empty when it has none
     * @throws IllegalArgumentException when the template does not parse, with the reason: the model's
     *         problem, not a client's
     */
    public static ChatTemplate compile(String template, String bosToken, String eosToken) {
        boolean isDefault = template == null || template.isBlank();
        String source = isDefault ? DEFAULT_TEMPLATE : template;
        String jinjavaSource = JinjaWhitespace.normalize(source);
        JinjavaInterpreter interpreter = JINJAVA.newInterpreter();
        interpreter.parse(jinjavaSource);
        if (!interpreter.getErrors().isEmpty()) {
            throw new IllegalArgumentException("the model's chat template does not parse: "
                    + describe(interpreter.getErrors().getFirst()));
        }
        return new ChatTemplate(source, jinjavaSource, isDefault, bosToken == null ? "" : bosToken,
                eosToken == null ? "" : eosToken);
    }

    /** Whether the model had no template of its own, so {@link #DEFAULT_TEMPLATE} renders its prompts. */
    public boolean isDefault() {
        return isDefault;
    }

    /** The Jinja source that renders: the model's, or {@link #DEFAULT_TEMPLATE}. */
    public String source() {
        return source;
    }

    /**
     * @param addGenerationPrompt end with what starts the assistant's reply, as for a completion request
     * @throws ChatTemplateException when the template rejects the conversation ({@code raise_exception})
     *         or fails to render it; the message is meant for the client
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, String>> turns = messages.stream()
                .map(m -> Map.of("role", m.role(), "content", m.content()))
                .toList();
        RenderResult result = JINJAVA.renderForResult(jinjavaSource, Map.of("messages", turns,
                "add_generation_prompt", addGenerationPrompt, "bos_token", bosToken, "eos_token", eosToken));
        failOnFatalErrors(result.getErrors());
        failOnUnknownNames(result.getContext());
        return result.getOutput();
    }

    private static void failOnFatalErrors(List<TemplateError> errors) {
        List<TemplateError> fatal = errors.stream().filter(e -> e.getSeverity() == ErrorType.FATAL).toList();
        for (TemplateError error : fatal) {
            Optional<ChatTemplateException> raised = raisedByTemplate(error.getException());
            if (raised.isPresent()) {
                throw new ChatTemplateException(raised.get().getMessage());
            }
        }
        for (TemplateError error : fatal) {
            if (error.getReason() == ErrorReason.OUTPUT_TOO_BIG) {
                throw new ChatTemplateException(FAILED + "it wrote more than " + MAX_OUTPUT_CHARS + " characters");
            }
        }
        if (!fatal.isEmpty()) {
            throw new ChatTemplateException(FAILED + describe(fatal.getFirst()));
        }
    }

    /** Jinjava wraps what a function throws in EL and template exceptions, several deep. */
    private static Optional<ChatTemplateException> raisedByTemplate(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof ChatTemplateException raised) {
                return Optional.of(raised);
            }
        }
        return Optional.empty();
    }

    /**
     * Jinjava records each filter and test an expression looked up ({@code filter:trim},
     * {@code exptest:defined}) and renders an unknown one as nothing; Jinja2 fails instead, and so
     * must we, or a template using a filter Jinjava lacks would quietly drop text from prompts.
     */
    private static void failOnUnknownNames(Context context) {
        for (String name : context.getResolvedValues()) {
            if (name.startsWith(ExtendedParser.FILTER_PREFIX)) {
                String filter = name.substring(ExtendedParser.FILTER_PREFIX.length());
                if (context.getFilter(filter) == null) {
                    throw new ChatTemplateException(FAILED + "no filter named '" + filter + "'");
                }
            } else if (name.startsWith(ExtendedParser.EXPTEST_PREFIX)) {
                String test = name.substring(ExtendedParser.EXPTEST_PREFIX.length());
                if (context.getExpTest(test) == null) {
                    throw new ChatTemplateException(FAILED + "no test named '" + test + "'");
                }
            }
        }
    }

    private static String describe(TemplateError error) {
        String message = error.getMessage() == null ? error.getReason().toString() : error.getMessage();
        if (message.length() > MAX_REASON_CHARS) {
            message = message.substring(0, MAX_REASON_CHARS) + "…";
        }
        return error.getLineno() > 0 ? "line " + error.getLineno() + ": " + message : message;
    }
}
