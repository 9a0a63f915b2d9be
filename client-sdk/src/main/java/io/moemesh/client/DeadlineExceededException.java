package io.moemesh.client;

import io.grpc.Status;

/** DEADLINE_EXCEEDED: The call ran past its deadline ({@code defaultDeadline} or {@link GenerateOptions#deadline()}). Chunks streamed before it still arrived. */
public class DeadlineExceededException extends MoeMeshException {

    private static final long serialVersionUID = 1L;

    public DeadlineExceededException(String description, Throwable cause) {
        super(Status.Code.DEADLINE_EXCEEDED, description, cause);
    }
}
