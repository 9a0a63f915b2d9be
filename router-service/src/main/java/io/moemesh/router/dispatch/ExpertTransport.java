package io.moemesh.router.dispatch;

/** How the router sends Compute calls to an expert endpoint ({@code moemesh.router.expert-transport}). */
public enum ExpertTransport {
    /** One unary gRPC call per layer step and endpoint: a new HTTP/2 stream, headers and trailers each time. */
    UNARY,
    /**
     * The same calls as messages on one long-lived bidirectional stream per endpoint
     * ({@code Expert/ComputeStream}); an endpoint that does not serve it gets unary calls instead.
     */
    STREAM
}
