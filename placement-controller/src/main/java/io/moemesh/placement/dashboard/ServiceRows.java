package io.moemesh.placement.dashboard;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.Unit;
import io.moemesh.placement.round.LivePlacement;
import io.moemesh.placement.round.PlacementReport;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The services table: what each expert service hosts now, split into its base units (its own expert
 * in every layer: service s is expert s's service) and partner units, and what the last applied
 * re-placement added to and removed from it.
 */
final class ServiceRows {

    private ServiceRows() {
    }

    static List<DashboardView.ServiceRow> of(LivePlacement live, PlacementReport.Replacement last) {
        List<DashboardView.ServiceRow> rows = new ArrayList<>();
        List<SortedSet<Unit>> hosted = live.plan().hosted();
        for (int s = 0; s < hosted.size(); s++) {
            int service = s;
            List<Unit> base = hosted.get(s).stream().filter(u -> u.expert() == service).toList();
            List<Unit> partners = hosted.get(s).stream().filter(u -> u.expert() != service).toList();
            rows.add(new DashboardView.ServiceRow(s, live.endpoints().get(s), base, partners,
                    last == null ? List.of() : difference(last.after(), last.before(), s),
                    last == null ? List.of() : difference(last.before(), last.after(), s)));
        }
        return rows;
    }

    /** Services whose units the re-placement changed. */
    static int changed(PlacementReport.Replacement r) {
        int n = 0;
        for (int s = 0; s < r.after().hosted().size(); s++) {
            n += difference(r.after(), r.before(), s).isEmpty() && difference(r.before(), r.after(), s).isEmpty()
                    ? 0 : 1;
        }
        return n;
    }

    /** Units service s hosts in {@code a} but not in {@code b}. */
    private static List<Unit> difference(PlacementPlan a, PlacementPlan b, int s) {
        SortedSet<Unit> units = new TreeSet<>(s < a.hosted().size() ? a.hosted().get(s) : new TreeSet<>());
        if (s < b.hosted().size()) {
            units.removeAll(b.hosted().get(s));
        }
        return List.copyOf(units);
    }
}
