package io.moemesh.router.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.moemesh.core.tokenizer.TokenizerConfig;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.ModelInfo;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.router.AdmissionProperties;
import io.moemesh.router.batching.SchedulerProperties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ListModels tells gateways what they need to build prompts: the chat template and special tokens. */
class RouterListModelsTest {

    private static final TokenizerConfig CHATML = new TokenizerConfig(
            "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}",
            "<|begin|>", "<|im_end|>");

    private TinyRouter router;
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        router = new TinyRouter(AdmissionProperties.defaults().requestLimits(), SchedulerProperties.defaults());
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new RouterGrpcService(new ServedModel("chat-model", router.config, 2, CHATML),
                        router.tokenizer, router.scheduler, 16, AdmissionProperties.defaults().requestLimits()))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        router.close();
    }

    @Test
    void returnsTheModelsChatTemplateAndSpecialTokens() {
        ModelInfo model = listModels(channel);

        assertThat(model.getName()).isEqualTo("chat-model");
        assertThat(model.getChatTemplate()).isEqualTo(CHATML.chatTemplate());
        assertThat(model.getBosToken()).isEqualTo("<|begin|>");
        assertThat(model.getEosToken()).isEqualTo("<|im_end|>");
    }

    @Test
    void leavesThemEmptyForAModelWithoutTokenizerConfig() {
        ModelInfo model = listModels(router.channel);

        assertThat(model.getChatTemplate()).isEmpty();
        assertThat(model.getBosToken()).isEmpty();
        assertThat(model.getEosToken()).isEmpty();
    }

    private static ModelInfo listModels(ManagedChannel channel) {
        return MoeMeshGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .listModels(ListModelsRequest.getDefaultInstance()).getModels(0);
    }
}
