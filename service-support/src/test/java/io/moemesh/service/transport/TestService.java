package io.moemesh.service.transport;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in internal service, so the transport tests need no generated code: {@code Compute}
 * (ordinary), {@code SetPartnerUnits} (mutating) and {@code Hold} (answers when released, counting
 * the calls running at once).
 */
final class TestService {

    static final String NAME = "moemesh.test.Internal";
    static final MethodDescriptor<String, String> COMPUTE = method("Compute");
    static final MethodDescriptor<String, String> SET_PARTNER_UNITS = method("SetPartnerUnits");
    static final MethodDescriptor<String, String> HOLD = method("Hold");
    /** Answers how the caller was authenticated ({@link InternalCaller}), or "none". */
    static final MethodDescriptor<String, String> WHOAMI = method("Whoami");

    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger maxRunning = new AtomicInteger();
    final CountDownLatch release = new CountDownLatch(1);

    ServerServiceDefinition definition() {
        return ServerServiceDefinition.builder(NAME)
                .addMethod(COMPUTE, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext("computed " + request);
                    response.onCompleted();
                }))
                .addMethod(SET_PARTNER_UNITS, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext("set " + request);
                    response.onCompleted();
                }))
                .addMethod(WHOAMI, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(InternalCaller.authenticatedAs().orElse("none"));
                    response.onCompleted();
                }))
                .addMethod(HOLD, ServerCalls.asyncUnaryCall((request, response) -> {
                    maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                    Thread.ofVirtual().start(() -> {
                        try {
                            release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        running.decrementAndGet();
                        response.onNext("held " + request);
                        response.onCompleted();
                    });
                }))
                .build();
    }

    static String call(Channel channel, MethodDescriptor<String, String> method, String request) {
        return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(10,
                TimeUnit.SECONDS), request);
    }

    private static MethodDescriptor<String, String> method(String name) {
        return MethodDescriptor.<String, String>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(NAME, name))
                .setRequestMarshaller(Utf8.INSTANCE).setResponseMarshaller(Utf8.INSTANCE).build();
    }

    private enum Utf8 implements MethodDescriptor.Marshaller<String> {
        INSTANCE;

        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
