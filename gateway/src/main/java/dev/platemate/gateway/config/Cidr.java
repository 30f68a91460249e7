package dev.platemate.gateway.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/** An address block such as {@code 10.0.0.0/8} or {@code ::1/128}; a bare address is a block of one. */
public record Cidr(byte[] network, int prefixLength) {

    public static Optional<Cidr> parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String host = slash < 0 ? s : s.substring(0, slash);
        if (host.isEmpty() || !host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            return Optional.empty(); // literal addresses only: never a DNS lookup
        }
        try {
            byte[] address = InetAddress.getByName(host).getAddress();
            int bits = address.length * 8;
            int prefix = slash < 0 ? bits : Integer.parseInt(s.substring(slash + 1));
            if (prefix < 0 || prefix > bits) {
                return Optional.empty();
            }
            return Optional.of(new Cidr(address, prefix));
        } catch (UnknownHostException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    public boolean contains(InetAddress address) {
        byte[] candidate = address.getAddress();
        if (candidate.length != network.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (candidate[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (candidate[full] & mask) == (network[full] & mask);
    }
}
