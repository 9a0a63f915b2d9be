package io.moemesh.placement.dashboard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /dashboard}: the page (plain HTML, JS and CSS from the classpath, {@code dashboard/});
 * {@code GET /dashboard/api/state}: the feed's latest view as JSON. No request reaches a router.
 */
@RestController
@ConditionalOnBooleanProperty(name = "moemesh.controller.dashboard.enabled", matchIfMissing = true)
class DashboardController {

    /** Everything from this origin only: no CDN, no inline script. */
    private static final String POLICY = "default-src 'self'; style-src 'self'; script-src 'self'";

    private final DashboardFeed feed;

    DashboardController(DashboardFeed feed) {
        this.feed = feed;
    }

    @GetMapping(path = "/dashboard/api/state", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<DashboardView> state() {
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(feed.view());
    }

    /**
     * The page without the trailing slash: a {@code <base href="dashboard/">} makes its relative links
     * (dashboard.js, dashboard.css, api/state) resolve under /dashboard/, and under any path prefix a
     * proxy puts in front.
     */
    @GetMapping("/dashboard")
    ResponseEntity<String> pageWithoutSlash() throws IOException {
        String html = new ClassPathResource("dashboard/index.html").getContentAsString(StandardCharsets.UTF_8)
                .replaceFirst("<head>", "<head>\n  <base href=\"dashboard/\">");
        return ResponseEntity.ok().contentType(new MediaType(MediaType.TEXT_HTML, StandardCharsets.UTF_8))
                .cacheControl(CacheControl.noCache()).header("Content-Security-Policy", POLICY).body(html);
    }

    @GetMapping({"/dashboard/", "/dashboard/index.html"})
    ResponseEntity<Resource> page() {
        return file("index.html", MediaType.TEXT_HTML);
    }

    @GetMapping("/dashboard/dashboard.js")
    ResponseEntity<Resource> script() {
        return file("dashboard.js", MediaType.valueOf("text/javascript"));
    }

    @GetMapping("/dashboard/dashboard.css")
    ResponseEntity<Resource> style() {
        return file("dashboard.css", MediaType.valueOf("text/css"));
    }

    private static ResponseEntity<Resource> file(String name, MediaType type) {
        return ResponseEntity.ok().contentType(type).cacheControl(CacheControl.noCache())
                .header("Content-Security-Policy", POLICY)
                .body(new ClassPathResource("dashboard/" + name));
    }
}
