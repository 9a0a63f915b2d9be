package io.moemesh.helm;

import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelOptionalLibrary;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.kubernetes.client.openapi.models.V1ValidatingAdmissionPolicy;
import io.kubernetes.client.openapi.models.V1Validation;
import io.kubernetes.client.openapi.models.V1Variable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rendered ValidatingAdmissionPolicy evaluated with Google's CEL for Java, as the API server would
 * evaluate it for one UPDATE: match conditions, then variables (in order, each seeing the earlier
 * ones as {@code variables.<name>}), then validations. Objects are plain JSON maps, so what this
 * does not reproduce is the API server's typing of them: lists of listType=map/set compare
 * order-insensitively there and in order here (stricter), and a field the schema has but the object
 * lacks is an error in both.
 */
final class AdmissionPolicyCel {

    /** The outcome: denied with the message of the first failing validation, or allowed (null). */
    record Decision(boolean matched, String denial) {

        boolean allowed() {
            return denial == null;
        }
    }

    private static final CelOptions OPTIONS = CelOptions.current().enableOptionalSyntax(true).build();
    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setOptions(OPTIONS)
            // has(), all(), exists(), map(), filter(): Kubernetes enables the standard macros
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addLibraries(CelOptionalLibrary.INSTANCE)
            .addVar("object", SimpleType.DYN)
            .addVar("oldObject", SimpleType.DYN)
            .addVar("request", SimpleType.DYN)
            .addVar("params", SimpleType.DYN)
            .addVar("namespaceObject", SimpleType.DYN)
            .addVar("variables", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .setOptions(OPTIONS).addLibraries(CelOptionalLibrary.INSTANCE).build();

    private final V1ValidatingAdmissionPolicy policy;

    AdmissionPolicyCel(V1ValidatingAdmissionPolicy policy) {
        this.policy = policy;
    }

    /** Every expression of the policy; compiling each one fails on a syntax or type error. */
    List<String> expressions() {
        List<String> all = new ArrayList<>();
        policy.getSpec().getMatchConditions().forEach(c -> all.add(c.getExpression()));
        if (policy.getSpec().getVariables() != null) {
            policy.getSpec().getVariables().forEach(v -> all.add(v.getExpression()));
        }
        policy.getSpec().getValidations().forEach(v -> all.add(v.getExpression()));
        return all;
    }

    static void compile(String expression) throws CelValidationException {
        COMPILER.compile(expression).getAst();
    }

    Decision update(String username, Map<String, Object> oldObject, Map<String, Object> object) {
        Map<String, Object> input = new HashMap<>();
        input.put("object", object);
        input.put("oldObject", oldObject);
        input.put("request", Map.of("operation", "UPDATE", "kind", Map.of("kind", object.get("kind")),
                "userInfo", Map.of("username", username)));
        for (var condition : policy.getSpec().getMatchConditions()) {
            if (!Boolean.TRUE.equals(eval(condition.getExpression(), input))) {
                return new Decision(false, null);
            }
        }
        Map<String, Object> variables = new LinkedHashMap<>();
        input.put("variables", variables);
        if (policy.getSpec().getVariables() != null) {
            for (V1Variable variable : policy.getSpec().getVariables()) {
                variables.put(variable.getName(), eval(variable.getExpression(), input));
            }
        }
        for (V1Validation validation : policy.getSpec().getValidations()) {
            if (!Boolean.TRUE.equals(eval(validation.getExpression(), input))) {
                return new Decision(true, validation.getMessage());
            }
        }
        return new Decision(true, null);
    }

    private static Object eval(String expression, Map<String, Object> input) {
        try {
            return RUNTIME.createProgram(COMPILER.compile(expression).getAst()).eval(input);
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalStateException("cannot evaluate " + expression + ": " + e.getMessage(), e);
        }
    }
}
