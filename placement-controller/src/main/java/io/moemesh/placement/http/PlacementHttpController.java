package io.moemesh.placement.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.grpc.StatusMapper;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /placement}: the gRPC PlacementStatus in its canonical protobuf JSON form. */
@RestController
class PlacementHttpController {

    private static final JsonFormat.Printer JSON = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();

    private final PlacementLoop loop;

    PlacementHttpController(PlacementLoop loop) {
        this.loop = loop;
    }

    @GetMapping(path = "/placement", produces = MediaType.APPLICATION_JSON_VALUE)
    String placement() throws InvalidProtocolBufferException {
        return JSON.print(StatusMapper.toProto(loop.state(), loop.round().settings()));
    }
}
