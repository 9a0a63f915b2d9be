package io.moemesh.gateway.openai;

import java.lang.reflect.Method;

/** The functions Hugging Face adds to a chat template's globals, for Jinjava's EL to call. */
final class TemplateFunctions {

    private TemplateFunctions() {
    }

    /**
     * {@code raise_exception(message)}: transformers' {@code _compile_jinja_template} defines it to
     * end rendering with the template's own message; Jinjava reports it as a FATAL error whose
     * cause chain holds this exception, which {@link ChatTemplate} finds and rethrows.
     */
    static String raiseException(Object message) {
        throw new ChatTemplateException(String.valueOf(message));
    }

    static Method raiseExceptionMethod() {
        try {
            Method method = TemplateFunctions.class.getDeclaredMethod("raiseException", Object.class);
            method.setAccessible(true); // Jinjava's EL invokes it from its own package
            return method;
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }
}
