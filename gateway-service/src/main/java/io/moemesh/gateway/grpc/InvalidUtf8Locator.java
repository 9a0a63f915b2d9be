package io.moemesh.gateway.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the string field that holds invalid UTF-8 in a message protobuf refused to parse. Protobuf
 * only says "Protocol message had invalid UTF-8"; this walks the wire format along the message's
 * descriptor so the caller learns which field ({@code sampling.stop[1]}) to fix.
 */
final class InvalidUtf8Locator {

    private InvalidUtf8Locator() {
    }

    /** The path of the first string field with invalid UTF-8, or empty if there is none or the bytes are malformed. */
    static Optional<String> locate(byte[] message, Descriptor type) {
        try {
            return Optional.ofNullable(walk(CodedInputStream.newInstance(message), type, ""));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String walk(CodedInputStream in, Descriptor type, String prefix) throws IOException {
        Map<Integer, Integer> repeats = new HashMap<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            FieldDescriptor field = type.findFieldByNumber(WireFormat.getTagFieldNumber(tag));
            boolean delimited = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
            if (field == null || !delimited
                    || (field.getType() != FieldDescriptor.Type.STRING && field.getType() != FieldDescriptor.Type.MESSAGE)) {
                in.skipField(tag);
                continue;
            }
            ByteString value = in.readBytes();
            String path = prefix + field.getName();
            if (field.isRepeated()) {
                path += "[" + (repeats.merge(field.getNumber(), 1, Integer::sum) - 1) + "]";
            }
            String found = field.getType() == FieldDescriptor.Type.STRING
                    ? (value.isValidUtf8() ? null : path)
                    : walk(value.newCodedInput(), field.getMessageType(), path + ".");
            if (found != null) {
                return found;
            }
        }
        return null;
    }
}
