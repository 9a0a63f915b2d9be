package io.moemesh.gateway.routing;

import io.grpc.Deadline;

/**
 * What the gateway adds to a call it forwards.
 *
 * @param deadline  the router call's deadline
 * @param caller    the caller's identity for the router (sent as {@code moemesh-caller}): an API key
 *                  fingerprint or {@code anonymous:<peer>}, never a key
 * @param requestId names the call in logs; a router's internal error is reported to the caller with it
 */
public record RouterCall(Deadline deadline, String caller, String requestId) {
}
