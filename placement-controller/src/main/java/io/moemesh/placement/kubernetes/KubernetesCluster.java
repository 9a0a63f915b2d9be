package io.moemesh.placement.kubernetes;

import com.google.gson.JsonObject;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AppsV1Api;
import io.kubernetes.client.openapi.apis.AutoscalingV2Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1EventSource;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import io.kubernetes.client.util.PatchUtils;
import io.moemesh.core.placement.PlanFile;
import io.moemesh.core.placement.Unit;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * {@link ClusterPort} over the Kubernetes API with the official Java client: lists the expert
 * Deployments and HorizontalPodAutoscalers by label, writes with JSON merge patches (the Deployment
 * patch carries the resource version read, so the API server refuses it with 409 if the object
 * changed), and records core/v1 Events on the Deployments.
 *
 * <p>The replica floor is read from the {@value Replicas#FLOOR_ANNOTATION} annotation of the HPA (or
 * of the Deployment without one), the ceiling from the HPA's maxReplicas; the field written is the
 * one the chart leaves to the controller.
 *
 * <p>Each Deployment is read on its own: one whose partner-units annotation does not parse (edited
 * by hand) is listed with the annotation marked {@link ExpertWorkload#unreadable() unreadable}, so
 * the reconciler can report it and overwrite it, and the other Deployments are read as usual.
 */
public final class KubernetesCluster implements ClusterPort {

    private static final String COMPONENT = "moe-mesh-placement-controller";

    private final ApiClient client;
    private final String namespace;
    private final String selector;
    private final Clock clock;

    /** @param selector label selector of the expert Deployments, e.g. {@code moemesh.io/role=expert} */
    public KubernetesCluster(ApiClient client, String namespace, String selector, Clock clock) {
        this.client = client;
        this.namespace = namespace;
        this.selector = selector;
        this.clock = clock;
    }

    @Override
    public List<ExpertWorkload> experts() {
        try {
            Map<String, V2HorizontalPodAutoscaler> hpaByTarget = new HashMap<>();
            for (V2HorizontalPodAutoscaler hpa : new AutoscalingV2Api(client)
                    .listNamespacedHorizontalPodAutoscaler(namespace).labelSelector(selector).execute().getItems()) {
                hpaByTarget.put(hpa.getSpec().getScaleTargetRef().getName(), hpa);
            }
            List<ExpertWorkload> out = new ArrayList<>();
            for (V1Deployment d : new AppsV1Api(client).listNamespacedDeployment(namespace).labelSelector(selector)
                    .execute().getItems()) {
                workload(d, hpaByTarget.get(d.getMetadata().getName())).ifPresent(out::add);
            }
            return out;
        } catch (ApiException e) {
            throw failure("list expert Deployments and autoscalers", e);
        }
    }

    private static Optional<ExpertWorkload> workload(V1Deployment d, V2HorizontalPodAutoscaler hpa) {
        Map<String, String> labels = d.getMetadata().getLabels();
        String expert = labels == null ? null : labels.get(ExpertWorkload.EXPERT_LABEL);
        if (expert == null || !expert.matches("\\d+")) {
            return Optional.empty();
        }
        Map<String, String> annotations = d.getSpec().getTemplate().getMetadata() == null ? null
                : d.getSpec().getTemplate().getMetadata().getAnnotations();
        String spelled = annotations == null ? null : annotations.get(ExpertWorkload.PARTNER_UNITS_ANNOTATION);
        SortedSet<Unit> partners = new TreeSet<>();
        ExpertWorkload.UnreadableAnnotation unreadable = null;
        try {
            partners = spelled == null ? partners : PlanFile.units(spelled);
        } catch (IllegalArgumentException e) {
            unreadable = new ExpertWorkload.UnreadableAnnotation(spelled, e.getMessage());
        }
        return Optional.of(new ExpertWorkload(d.getMetadata().getName(), Integer.parseInt(expert), partners,
                hpa == null ? null : hpa.getMetadata().getName(), replicas(d, hpa), d.getMetadata().getResourceVersion(),
                unreadable, rollout(d)));
    }

    /** Now, floor and ceiling; the floor annotation sits on the object whose field the controller writes. */
    private static Replicas replicas(V1Deployment d, V2HorizontalPodAutoscaler hpa) {
        if (hpa != null) {
            int min = hpa.getSpec().getMinReplicas() == null ? 1 : hpa.getSpec().getMinReplicas();
            return new Replicas(min, floor(hpa.getMetadata(), d), Math.max(1, hpa.getSpec().getMaxReplicas()));
        }
        int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        return new Replicas(replicas, floor(d.getMetadata(), d), Replicas.UNBOUNDED);
    }

    private static int floor(V1ObjectMeta meta, V1Deployment d) {
        String value = meta.getAnnotations() == null ? null : meta.getAnnotations().get(Replicas.FLOOR_ANNOTATION);
        if (value == null) {
            return 1;
        }
        if (!value.strip().matches("[1-9]\\d{0,5}")) {
            org.slf4j.LoggerFactory.getLogger(KubernetesCluster.class).warn("{} of {} is '{}', not a whole number >= 1;"
                    + " floor 1 assumed", Replicas.FLOOR_ANNOTATION, d.getMetadata().getName(), value);
            return 1;
        }
        return Integer.parseInt(value.strip());
    }

    static Rollout rollout(V1Deployment d) {
        var status = d.getStatus();
        if (status == null) {
            return Rollout.of(nonNull(d.getMetadata().getGeneration()), null, 1, 0, 0, 0, false);
        }
        boolean deadline = status.getConditions() != null && status.getConditions().stream().anyMatch(c ->
                "Progressing".equals(c.getType()) && "ProgressDeadlineExceeded".equals(c.getReason()));
        return Rollout.of(nonNull(d.getMetadata().getGeneration()), status.getObservedGeneration(),
                d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas(), nonNull(status.getReplicas()),
                nonNull(status.getUpdatedReplicas()), nonNull(status.getAvailableReplicas()), deadline);
    }

    private static int nonNull(Integer n) {
        return n == null ? 0 : n;
    }

    private static long nonNull(Long n) {
        return n == null ? 0 : n;
    }

    @Override
    public Rollout rollout(String deployment) {
        try {
            return rollout(new AppsV1Api(client).readNamespacedDeployment(deployment, namespace).execute());
        } catch (ApiException e) {
            if (e.getCode() == 404) {
                return new Rollout(Rollout.State.AVAILABLE, "gone");
            }
            throw failure("read deployment " + deployment, e);
        }
    }

    @Override
    public void setPartners(ExpertWorkload w, SortedSet<Unit> partners) {
        JsonObject annotations = new JsonObject();
        annotations.addProperty(ExpertWorkload.PARTNER_UNITS_ANNOTATION, PlanFile.spell(partners));
        JsonObject body = object("metadata", object("resourceVersion", w.resourceVersion()));
        body.add("spec", object("template", object("metadata", object("annotations", annotations))));
        try {
            PatchUtils.patch(V1Deployment.class, () -> new AppsV1Api(client)
                    .patchNamespacedDeployment(w.deployment(), namespace, new V1Patch(body.toString()))
                    .fieldManager(COMPONENT).buildCall(null), V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, client);
        } catch (ApiException e) {
            if (e.getCode() == 409 || e.getCode() == 404) {
                throw new ConflictException("deployment " + w.deployment() + ": " + e.getCode() + " " + e.getMessage());
            }
            throw failure("patch deployment " + w.deployment(), e);
        }
    }

    @Override
    public void setMinReplicas(ExpertWorkload w, int minReplicas) {
        try {
            if (w.hpa() != null) {
                V1Patch patch = new V1Patch(object("spec", object("minReplicas", minReplicas)).toString());
                PatchUtils.patch(V2HorizontalPodAutoscaler.class, () -> new AutoscalingV2Api(client)
                        .patchNamespacedHorizontalPodAutoscaler(w.hpa(), namespace, patch).fieldManager(COMPONENT)
                        .buildCall(null), V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, client);
            } else {
                V1Patch patch = new V1Patch(object("spec", object("replicas", minReplicas)).toString());
                PatchUtils.patch(V1Deployment.class, () -> new AppsV1Api(client)
                        .patchNamespacedDeployment(w.deployment(), namespace, patch).fieldManager(COMPONENT)
                        .buildCall(null), V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, client);
            }
        } catch (ApiException e) {
            if (e.getCode() == 404) {
                throw new ConflictException((w.hpa() == null ? "deployment " : "autoscaler ")
                        + (w.hpa() == null ? w.deployment() : w.hpa()) + " is gone");
            }
            throw failure("set minReplicas of " + w.deployment(), e);
        }
    }

    @Override
    public void event(ExpertWorkload w, String reason, String message) {
        record(w, "Normal", reason, message);
    }

    @Override
    public void warning(ExpertWorkload w, String reason, String message) {
        record(w, "Warning", reason, message);
    }

    private void record(ExpertWorkload w, String type, String reason, String message) {
        OffsetDateTime now = OffsetDateTime.now(clock.withZone(ZoneOffset.UTC));
        CoreV1Event event = new CoreV1Event().apiVersion("v1").kind("Event")
                .metadata(new V1ObjectMeta().generateName(w.deployment() + ".").namespace(namespace))
                .involvedObject(new V1ObjectReference().apiVersion("apps/v1").kind("Deployment")
                        .name(w.deployment()).namespace(namespace))
                .reason(reason).message(message).type(type).count(1).firstTimestamp(now).lastTimestamp(now)
                .source(new V1EventSource().component(COMPONENT));
        try {
            new CoreV1Api(client).createNamespacedEvent(namespace, event).execute();
        } catch (ApiException e) {
            // an event is a record, not the change: losing one must not undo or repeat the change
            org.slf4j.LoggerFactory.getLogger(KubernetesCluster.class).warn("could not record event {} on {}: {}",
                    reason, w.deployment(), e.getCode());
        }
    }

    private static JsonObject object(String key, Object value) {
        JsonObject o = new JsonObject();
        switch (value) {
            case JsonObject j -> o.add(key, j);
            case Number n -> o.addProperty(key, n);
            default -> o.addProperty(key, String.valueOf(value));
        }
        return o;
    }

    private static IllegalStateException failure(String what, ApiException e) {
        return new IllegalStateException("Kubernetes API: cannot " + what + ": HTTP " + e.getCode() + " "
                + (e.getResponseBody() == null ? e.getMessage() : e.getResponseBody()), e);
    }
}
