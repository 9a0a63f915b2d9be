package io.moemesh.placement;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The placement controller: plans expert placement from routing statistics and applies it. */
@SpringBootApplication
public class PlacementControllerApplication {

    public static void main(String[] args) {
        SpringApplication.run(PlacementControllerApplication.class, args);
    }
}
