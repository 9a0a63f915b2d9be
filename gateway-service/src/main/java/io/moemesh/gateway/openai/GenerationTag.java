package io.moemesh.gateway.openai;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.LengthLimitingStringBuilder;
import java.io.Serial;

/**
 * {@code {% generation %}...{% endgeneration %}}, which transformers' {@code AssistantTracker}
 * extension adds so that {@code return_assistant_tokens_mask} can find the assistant's text. It
 * renders its body unchanged; a gateway has no use for the mask, but templates that mark assistant
 * turns with it must still render.
 */
final class GenerationTag implements Tag {

    @Serial
    private static final long serialVersionUID = 1L;

    @Override
    public String getName() {
        return "generation";
    }

    @Override
    @SuppressWarnings("try") // the scope is entered for its effect on the body, never read
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
        // the body is a call block in transformers' extension: a scope of its own
        try (var scope = interpreter.enterScope()) {
            LengthLimitingStringBuilder body = new LengthLimitingStringBuilder(interpreter.getConfig().getMaxOutputSize());
            for (Node child : tagNode.getChildren()) {
                body.append(child.render(interpreter));
            }
            return body.toString();
        }
    }
}
