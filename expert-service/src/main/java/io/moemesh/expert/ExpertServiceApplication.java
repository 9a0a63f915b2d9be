package io.moemesh.expert;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** One expert service: hosts units of a Mixtral-architecture model behind the internal Expert gRPC API. */
@SpringBootApplication
public class ExpertServiceApplication {

    public static void main(String[] args) {
        SpringApplication.run(ExpertServiceApplication.class, args);
    }
}
