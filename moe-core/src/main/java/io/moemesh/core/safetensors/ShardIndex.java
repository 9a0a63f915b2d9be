package io.moemesh.core.safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * {@code model.safetensors.index.json} of a sharded Hugging Face checkpoint:
 * {@code {"metadata": {...}, "weight_map": {"tensor name": "shard file name"}}}.
 */
final class ShardIndex {

    static final String FILE_NAME = "model.safetensors.index.json";

    private ShardIndex() {
    }

    /** Tensor name to shard path, in index order; every shard named exists next to the index. */
    static Map<String, Path> read(Path indexFile) {
        JsonNode weightMap = parse(indexFile).get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new SafetensorsException(indexFile, "index has no \"weight_map\" object");
        }
        Path dir = indexFile.toAbsolutePath().getParent();
        Map<String, Path> shards = new LinkedHashMap<>();
        Map<String, Path> tensorToShard = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : weightMap.properties()) {
            String tensor = entry.getKey();
            if (!entry.getValue().isString()) {
                throw new SafetensorsException(indexFile, tensor, "weight_map value is not a file name: "
                        + entry.getValue());
            }
            String shardName = entry.getValue().stringValue();
            Path shard = shards.computeIfAbsent(shardName, name -> shardPath(indexFile, dir, tensor, name));
            tensorToShard.put(tensor, shard);
        }
        return tensorToShard;
    }

    private static JsonNode parse(Path indexFile) {
        JsonNode root;
        try {
            root = SafetensorsHeader.JSON.readTree(Files.readAllBytes(indexFile));
        } catch (IOException e) {
            throw new SafetensorsException(indexFile, null, "cannot read index: " + e, e);
        } catch (JacksonException e) {
            throw new SafetensorsException(indexFile, null, "index is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(indexFile, "index is not a JSON object");
        }
        return root;
    }

    private static Path shardPath(Path indexFile, Path dir, String tensor, String shardName) {
        Path shard;
        try {
            shard = dir.resolve(shardName).normalize();
        } catch (InvalidPathException e) {
            throw new SafetensorsException(indexFile, tensor, "shard '" + shardName + "' is not a file name: "
                    + e.getReason(), e);
        }
        if (!shard.getParent().equals(dir.normalize())) {
            throw new SafetensorsException(indexFile, tensor, "shard '" + shardName
                    + "' is not a file name in the checkpoint directory");
        }
        if (!Files.isRegularFile(shard)) {
            throw new SafetensorsException(indexFile, tensor, "index names shard file " + shard
                    + ", which does not exist");
        }
        return shard;
    }
}
