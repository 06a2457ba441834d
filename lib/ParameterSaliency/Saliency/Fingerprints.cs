using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>Fingerprints that tie cached results to what produced them.</summary>
public static class Fingerprints
{
    /// <summary>SHA-256 over the names, dtypes, shapes and bytes of a model's state dict (parameters and buffers).</summary>
    /// <param name="model">Model whose state dict (parameters and buffers) is hashed, in name order.</param>
    public static string Model(nn.Module model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in model.state_dict().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}|{tensor.dtype}|{string.Join(",", tensor.shape)}|"));
            using var cpu = tensor.detach().cpu().contiguous();
            hash.AppendData(cpu.bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// An order-independent, mergeable fingerprint of labelled images: the sum (mod 2^64) of
    /// the first 8 bytes of SHA-256(image bytes, label) over all images, with their count. The
    /// fingerprint of a data set equals the combination of its shards' fingerprints.
    /// </summary>
    /// <param name="images">Images [N, ...], hashed per image as contiguous float32 bytes on the CPU.</param>
    /// <param name="labels">Labels y [N], hashed as int64 together with their images.</param>
    public static DataFingerprint Data(Tensor images, Tensor labels)
    {
        using var cpu = images.detach().cpu().to(ScalarType.Float32).contiguous();
        long[] labelArray = labels.cpu().to(ScalarType.Int64).data<long>().ToArray();
        int count = (int)cpu.shape[0];
        int stride = checked((int)(cpu.numel() / Math.Max(1, count))) * sizeof(float);
        var bytes = cpu.bytes;
        ulong sum = 0;
        Span<byte> label = stackalloc byte[8];
        Span<byte> digest = stackalloc byte[32];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < count; i++)
        {
            hash.AppendData(bytes.Slice(i * stride, stride));
            BinaryPrimitives.WriteInt64LittleEndian(label, labelArray[i]);
            hash.AppendData(label);
            hash.GetHashAndReset(digest);
            sum += BinaryPrimitives.ReadUInt64LittleEndian(digest);
        }
        return new DataFingerprint(sum, count);
    }
}

/// <summary>A mergeable fingerprint of a set of labelled images (see <see cref="Fingerprints.Data"/>).</summary>
/// <param name="Sum">Sum (mod 2^64) over the images of the first 8 bytes of SHA-256(image bytes, label).</param>
/// <param name="Count">Number of images.</param>
public readonly record struct DataFingerprint(ulong Sum, long Count)
{
    /// <summary>The fingerprint of the union of two disjoint sets.</summary>
    /// <param name="other">Fingerprint of a set of images disjoint from this one.</param>
    public DataFingerprint Merge(DataFingerprint other) => new(unchecked(Sum + other.Sum), Count + other.Count);

    /// <inheritdoc/>
    public override string ToString() => $"{Sum:x16}/{Count}";

    /// <summary>Parses <see cref="ToString"/>'s form.</summary>
    /// <param name="text">Text as <see cref="ToString"/> writes it: the sum in hexadecimal, '/', the count in decimal.</param>
    public static DataFingerprint Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !ulong.TryParse(parts[0], System.Globalization.NumberStyles.HexNumber, null, out ulong sum) || !long.TryParse(parts[1], out long count))
            throw new FormatException($"'{text}' is not a data fingerprint.");
        return new DataFingerprint(sum, count);
    }
}
