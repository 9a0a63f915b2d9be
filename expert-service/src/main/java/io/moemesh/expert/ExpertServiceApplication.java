package io.moemesh.expert;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** One expert service: hosts routed-expert units of an MoE model (any supported family) behind the internal Expert gRPC API. */
@SpringBootApplication
public class ExpertServiceApplication {

    public static void main(String[] args) {
        SpringApplication.run(ExpertServiceApplication.class, args);
    }
}
