package io.moemesh.router.discovery.kubernetes;

import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.DiscoveryV1Api;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1EndpointSliceList;
import io.kubernetes.client.util.ClientBuilder;
import io.moemesh.router.discovery.ExpertDiscovery;
import io.moemesh.router.discovery.FailureStreak;
import io.moemesh.router.dispatch.ExpertEndpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expert endpoints from the EndpointSlices of the expert Services, through an informer of the official
 * Kubernetes client: it lists the slices that match the label selector in one namespace, then watches
 * them, and re-lists when a watch fails. After every change of its cache (and once the first list is
 * in, even if empty) it reads the whole cache again and reports the ready endpoints
 * ({@link EndpointSliceTargets}) when they differ from its last report: level-based, like a
 * reconciler, so a missed or reordered event cannot leave it behind.
 *
 * <p>A report that fails (the listener throws, or the cache cannot be read) is logged at WARN with its
 * cause and tried again from the cache after 1 s, then after twice as long each time it fails again,
 * up to 30 s, counting the failures in a row in the log. A set the listener did not take does not
 * count as reported, so the retry delivers it even if nothing changed since; a change meanwhile is
 * reported at once, as usual.
 *
 * <p>Needs {@code get}, {@code list} and {@code watch} on {@code endpointslices.discovery.k8s.io} in
 * that namespace.
 */
public final class KubernetesExpertDiscovery implements ExpertDiscovery {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesExpertDiscovery.class);
    /** How often the reporter looks whether the first list is in; it stops looking then. */
    private static final Duration SYNC_POLL = Duration.ofMillis(50);
    private static final Duration RETRY_FIRST = Duration.ofSeconds(1);
    private static final Duration RETRY_MAX = Duration.ofSeconds(30);

    private final ApiClient client;
    private final String namespace;
    private final String labelSelector;
    private final String portName;

    public KubernetesExpertDiscovery(ApiClient client, String namespace, String labelSelector, String portName) {
        this.client = client;
        this.namespace = namespace;
        this.labelSelector = labelSelector;
        this.portName = portName;
    }

    /** Discovery as configured: the API server of {@code apiUrl}, or the client's standard configuration. */
    public static KubernetesExpertDiscovery of(KubernetesDiscoveryProperties properties) {
        ApiClient client;
        try {
            client = properties.apiUrl().isBlank() ? ClientBuilder.standard().build()
                    : new ClientBuilder().setBasePath(properties.apiUrl()).build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot configure the Kubernetes client (in-cluster service account or"
                    + " kubeconfig) for expert discovery", e);
        }
        return new KubernetesExpertDiscovery(client,
                properties.namespaceOr(KubernetesDiscoveryProperties.SERVICE_ACCOUNT_NAMESPACE),
                properties.labelSelector(), properties.portName());
    }

    @Override
    public Subscription subscribe(Listener listener) {
        SharedInformerFactory factory = new SharedInformerFactory(client); // and watches without a read timeout
        DiscoveryV1Api api = new DiscoveryV1Api(client);
        Reporter reporter = new Reporter(listener);
        SharedIndexInformer<V1EndpointSlice> informer = factory.sharedIndexInformerFor(
                params -> api.listNamespacedEndpointSlice(namespace).labelSelector(labelSelector)
                        .resourceVersion(params.resourceVersion).watch(params.watch)
                        .timeoutSeconds(params.timeoutSeconds).buildCall(null),
                V1EndpointSlice.class, V1EndpointSliceList.class, 0L, (type, error) -> reporter.failed(error));
        informer.addEventHandler(reporter);
        LOG.info("discovering expert endpoints from the EndpointSlices in namespace {} selected by {}, port {}",
                namespace, labelSelector, portName);
        factory.startAllRegisteredInformers();
        reporter.start(informer);
        return () -> reporter.close(factory);
    }

    /**
     * Reads the informer's cache and reports, on its own thread, so that reports never overlap and the
     * informer's threads never wait on the router.
     */
    private final class Reporter implements ResourceEventHandler<V1EndpointSlice> {

        private final Listener listener;
        private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "expert-discovery");
            t.setDaemon(true);
            return t;
        });
        private volatile SharedIndexInformer<V1EndpointSlice> informer;
        private volatile ScheduledFuture<?> syncPoll;
        // confined to the reporter thread
        private boolean synced;
        private List<ExpertEndpoint> last; // the last set the listener took
        private final FailureStreak failures = new FailureStreak(LOG, "could not report the discovered expert endpoints");
        private boolean retryPending;
        private volatile String lastFailure;
        private volatile boolean closing;

        Reporter(Listener listener) {
            this.listener = listener;
        }

        /** Reports once the informer's first list is in, and after every change from then on. */
        void start(SharedIndexInformer<V1EndpointSlice> informer) {
            this.informer = informer;
            syncPoll = thread.scheduleWithFixedDelay(() -> {
                if (!synced && informer.hasSynced()) {
                    synced = true;
                    if (syncPoll != null) { // null only if the first look already found it synced
                        syncPoll.cancel(false);
                    }
                    reportOrRetry();
                }
            }, 0, SYNC_POLL.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void onAdd(V1EndpointSlice slice) {
            changed();
        }

        @Override
        public void onUpdate(V1EndpointSlice before, V1EndpointSlice after) {
            changed();
        }

        @Override
        public void onDelete(V1EndpointSlice slice, boolean finalStateUnknown) {
            changed();
        }

        private void changed() {
            try {
                thread.execute(() -> {
                    if (synced) {
                        reportOrRetry();
                    }
                });
            } catch (RejectedExecutionException e) {
                // closed: the informer may still deliver while it stops
            }
        }

        /**
         * Reports, and on failure schedules a retry instead of throwing: an exception escaping a task of
         * the executor would only complete its future (and end the sync poll), unseen.
         */
        private void reportOrRetry() {
            try {
                report();
                failures.succeeded("reported the discovered expert endpoints");
            } catch (Throwable e) { // an Error too: the router must not stop hearing of its experts
                if (closing) {
                    return;
                }
                Duration retry = retryDelay(failures.inARow() + 1);
                failures.failed(e, "the router keeps its endpoints; trying again in " + retry);
                retryIn(retry);
            }
        }

        private static Duration retryDelay(int failures) {
            Duration delay = RETRY_FIRST.multipliedBy(1L << Math.min(failures - 1, 10));
            return delay.compareTo(RETRY_MAX) < 0 ? delay : RETRY_MAX;
        }

        private void retryIn(Duration delay) {
            if (retryPending) {
                return;
            }
            retryPending = true;
            try {
                thread.schedule(() -> {
                    retryPending = false;
                    reportOrRetry();
                }, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // closed
            }
        }

        private void report() {
            EndpointSliceTargets targets = EndpointSliceTargets.of(informer.getIndexer().list(), portName);
            if (targets.endpoints().equals(last)) {
                return;
            }
            lastFailure = null;
            LOG.info("discovered {} ready expert endpoint(s) in namespace {}: {}", targets.endpoints().size(),
                    namespace, targets.endpoints().stream().map(e -> e.id() + "@" + e.target()).toList());
            if (!targets.slicesWithoutPort().isEmpty()) {
                LOG.warn("EndpointSlices {} have no port named {} (moemesh.router.kubernetes.port-name): their"
                        + " endpoints are left out", targets.slicesWithoutPort(), portName);
            }
            listener.onEndpoints(targets.endpoints());
            last = targets.endpoints(); // only once taken: a failed report is delivered again
        }

        /** The informer lists again after a failure (every second): say so once per distinct failure. */
        void failed(Throwable error) {
            if (closing) {
                return; // stopping the informer cuts its watch
            }
            String failure = error instanceof ApiException api && api.getCode() != 0
                    ? "HTTP " + api.getCode() + " " + api.getResponseBody()
                    : error.getCause() != null ? error.getCause().toString() : error.toString();
            if (failure.equals(lastFailure)) {
                LOG.debug("EndpointSlice list/watch failed again: {}", failure);
                return;
            }
            lastFailure = failure;
            boolean denied = error instanceof ApiException api && (api.getCode() == 401 || api.getCode() == 403);
            LOG.warn("EndpointSlice list/watch in namespace {} failed ({}){}; the router keeps its endpoints and"
                    + " retries", namespace, failure, denied ? ": the router's ServiceAccount needs get, list and"
                    + " watch on endpointslices (discovery.k8s.io) in that namespace" : "");
        }

        /** Stops the informer, then reporting: the listener is not called after this returns. */
        void close(SharedInformerFactory factory) {
            closing = true;
            factory.stopAllRegisteredInformers();
            thread.shutdownNow();
            try {
                thread.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
