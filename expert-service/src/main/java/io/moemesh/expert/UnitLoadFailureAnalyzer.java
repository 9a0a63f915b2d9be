package io.moemesh.expert;

import io.moemesh.expert.unit.UnitLoadException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a model that cannot be loaded into a short start-up report instead of a bean-creation stack trace. */
class UnitLoadFailureAnalyzer extends AbstractFailureAnalyzer<UnitLoadException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, UnitLoadException cause) {
        return new FailureAnalysis("The expert service could not load its units: " + cause.getMessage(),
                "Check moemesh.expert.model-dir (a folder with config.json and model.safetensors or an index "
                        + "with shards), moemesh.expert.experts and moemesh.expert.extra-units against the model.",
                cause);
    }
}
