package io.moemesh.placement.dashboard;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
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

    private final DashboardFeed feed;

    DashboardController(DashboardFeed feed) {
        this.feed = feed;
    }

    @GetMapping(path = "/dashboard/api/state", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<DashboardView> state() {
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(feed.view());
    }

    /** The page's relative links (dashboard.js, api/state) need the trailing slash: a relative redirect keeps any path prefix. */
    @GetMapping("/dashboard")
    ResponseEntity<Void> withSlash() {
        return ResponseEntity.status(HttpStatus.FOUND).header(HttpHeaders.LOCATION, "dashboard/").build();
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
                .header("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'")
                .body(new ClassPathResource("dashboard/" + name));
    }
}
