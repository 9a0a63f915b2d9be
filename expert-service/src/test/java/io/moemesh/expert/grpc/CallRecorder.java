package io.moemesh.expert.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Stands between the service and the transport: can make the next response fail to send (as a
 * broken transport or a failing serializer would), records what the service writes to calls that
 * were already cancelled, and lets a test wait until the service has seen a cancellation.
 */
final class CallRecorder implements ServerInterceptor {

    private final AtomicBoolean failNextSend = new AtomicBoolean();
    private final List<String> writesAfterCancel = new CopyOnWriteArrayList<>();
    private final CountDownLatch cancelSeen = new CountDownLatch(1);

    void failNextSend() {
        failNextSend.set(true);
    }

    /** "sendMessage" or "close CODE", for every write to a call its client had cancelled. */
    List<String> writesAfterCancel() {
        return List.copyOf(writesAfterCancel);
    }

    /** Returns once the service has handled a cancellation (its cancel handler has run). */
    void awaitCancelSeen() throws InterruptedException {
        if (!cancelSeen.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("no call was cancelled within 10 s");
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        ServerCall<Q, R> recorded = new SimpleForwardingServerCall<>(call) {
            @Override
            public void sendMessage(R message) {
                if (isCancelled()) {
                    writesAfterCancel.add("sendMessage");
                }
                if (failNextSend.compareAndSet(true, false)) {
                    throw new IllegalStateException("transport failed to send the message (test)");
                }
                super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (isCancelled()) {
                    writesAfterCancel.add("close " + status.getCode());
                }
                super.close(status, trailers);
            }
        };
        return new SimpleForwardingServerCallListener<>(next.startCall(recorded, headers)) {
            @Override
            public void onCancel() {
                super.onCancel();
                cancelSeen.countDown();
            }
        };
    }
}
