using SkiaSharp;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Data;

/// <summary>How an image folder becomes model-ready tensors, as torchvision's standard evaluation transform does.</summary>
/// <param name="Resize">Shorter side resized to this many pixels (Pillow's antialiased bilinear), or none.</param>
/// <param name="Crop">Centre crop to this square size after any resize, or none.</param>
/// <param name="Normalization">Mean and std per channel; its channel count is the model's (3, or 1 for greyscale models).</param>
/// <param name="SkipBad">Skip (and list in <see cref="ImageFolder.Skipped"/>) images that cannot be decoded, instead of failing.</param>
public sealed record ImageFolderOptions(int? Resize = null, int? Crop = null, Normalization? Normalization = null, bool SkipBad = false)
{
    /// <summary>torchvision's ImageNet evaluation preprocessing: Resize(256), CenterCrop(224), ImageNet mean and std.</summary>
    public static ImageFolderOptions ImageNet { get; } = new(256, 224, Data.Normalization.ImageNet);
}

/// <summary>An image that was skipped, and why.</summary>
/// <param name="Path">The image file that was skipped.</param>
/// <param name="Reason">Why: the message of the read or decode error.</param>
public sealed record SkippedImage(string Path, string Reason);

/// <summary>
/// Images in torchvision's <c>ImageFolder</c> layout: <c>root/&lt;class&gt;/**/&lt;image&gt;</c>, classes are the
/// subfolders sorted by name (ordinal, as Python sorts them) and numbered from 0, files sorted within each class.
/// PNG, JPEG, BMP and WebP are decoded with SkiaSharp; greyscale is expanded to RGB and alpha dropped, as
/// Pillow's <c>convert('RGB')</c> does (or reduced to luma for a one-channel normalisation, as <c>convert('L')</c>).
/// An ImageNet validation folder laid out by synset works as it is. The whole set is decoded into memory
/// (3x224x224 float32 is 0.6 MB an image).
/// </summary>
public sealed class ImageFolder
{
    /// <summary>File extensions read (lower case), those of torchvision's list that SkiaSharp decodes.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

    ImageFolder(string root, IReadOnlyList<string> classes, IReadOnlyList<(string Path, int Label)> files)
    {
        Root = root;
        Classes = classes;
        Files = files;
    }

    /// <summary>The folder.</summary>
    public string Root { get; }
    /// <summary>Class names (subfolder names) indexed by label.</summary>
    public IReadOnlyList<string> Classes { get; }
    /// <summary>Every image file with its label, in data-set order.</summary>
    public IReadOnlyList<(string Path, int Label)> Files { get; }
    /// <summary>Images skipped by the last <see cref="Load(ImageFolderOptions, IProgress{ValueTuple{int, int}}?, IReadOnlyList{int}?)"/> with <see cref="ImageFolderOptions.SkipBad"/>.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; private set; } = [];

    /// <summary>Lists the classes and files of <paramref name="root"/>; errors name what is missing.</summary>
    /// <param name="root">The root folder, one subfolder per class; made absolute.</param>
    public static ImageFolder Scan(string root)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        string[] classes = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new ArgumentException($"Image folder '{root}' has no class subfolders: torchvision's layout is root/<class>/<image>.");
        var files = new List<(string, int)>();
        for (int label = 0; label < classes.Length; label++)
            files.AddRange(Directory.EnumerateFiles(Path.Combine(root, classes[label]), "*", SearchOption.AllDirectories)
                .Where(path => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).Select(path => (path, label)));
        if (files.Count == 0)
            throw new ArgumentException($"Image folder '{root}' has {classes.Length} class folders but no {string.Join("/", Extensions)} files in them.");
        return new ImageFolder(root, classes, files);
    }

    /// <summary>Scans and loads <paramref name="root"/> in one call.</summary>
    /// <param name="root">The root folder, one subfolder per class.</param>
    /// <param name="options">Resize, centre crop, normalisation and whether to skip undecodable images.</param>
    /// <param name="progress">Receives (images done, images to load) after each image; null for none.</param>
    public static ImageDataset Load(string root, ImageFolderOptions options, IProgress<(int Done, int Total)>? progress = null) => Scan(root).Load(options, progress);

    /// <summary>Decodes, resizes, crops and normalises every image (or those at <paramref name="indices"/>).</summary>
    /// <param name="options">Resize, centre crop, normalisation (null: ImageNet's) and whether to skip undecodable images.</param>
    /// <param name="progress">Receives (images done, images to load) after each image read; null for none.</param>
    /// <param name="indices">Positions in <see cref="Files"/> to load, in that order; null for every file.</param>
    public ImageDataset Load(ImageFolderOptions options, IProgress<(int Done, int Total)>? progress = null, IReadOnlyList<int>? indices = null)
    {
        Runtime.NativeTorch.EnsureLoaded();
        var normalization = options.Normalization ?? Normalization.ImageNet;
        if (options.Resize is <= 0 || options.Crop is <= 0) throw new ArgumentException("Resize and crop sizes must be positive.");
        var chosen = indices ?? Enumerable.Range(0, Files.Count).ToArray();
        var skipped = new List<SkippedImage>();
        var planes = new List<byte[]>();
        var labels = new List<long>();
        (int Height, int Width)? shape = null;
        string? firstPath = null;
        for (int n = 0; n < chosen.Count; n++)
        {
            var (path, label) = Files[chosen[n]];
            byte[] pixels;
            int height, width;
            try
            {
                (pixels, height, width) = Preprocess(path, options, normalization.Channels);
            }
            catch (InvalidDataException e) when (options.SkipBad)
            {
                skipped.Add(new SkippedImage(path, e.Message));
                continue;
            }
            if (shape is null) (shape, firstPath) = ((height, width), path);
            else if (shape != (height, width))
                throw new InvalidDataException(
                    $"Images differ in size: '{firstPath}' is {shape.Value.Width}x{shape.Value.Height}, '{path}' is {width}x{height}. " +
                    "Give a resize and a centre crop (--resize 256 --crop 224, or ImageFolderOptions.ImageNet) so that all have one size.");
            planes.Add(pixels);
            labels.Add(label);
            progress?.Report((n + 1, chosen.Count));
        }
        Skipped = skipped;
        if (planes.Count == 0) throw new InvalidDataException($"No image of '{Root}' could be read ({skipped.Count} skipped).");
        using var scope = NewDisposeScope();
        int channels = normalization.Channels;
        byte[] all = new byte[planes.Count * planes[0].Length];
        for (int i = 0; i < planes.Count; i++) planes[i].CopyTo(all, i * planes[0].Length);
        var unit = tensor(all, ScalarType.Byte).reshape(planes.Count, channels, shape!.Value.Height, shape.Value.Width).to_type(ScalarType.Float32).div_(ByteRange);
        var inputs = normalization.Apply(unit).MoveToOuterDisposeScope();
        var targets = tensor(labels.ToArray(), ScalarType.Int64).MoveToOuterDisposeScope();
        return new ImageDataset($"folder:{Root}", inputs, targets, Classes, normalization);
    }

    /// <summary>One image as planar bytes [C, H, W] after decoding, channel conversion, resize and crop.</summary>
    internal static (byte[] Pixels, int Height, int Width) Preprocess(string path, ImageFolderOptions options, int channels)
    {
        var (rgb, height, width) = Decode(path);
        var planes = channels switch
        {
            3 => rgb,
            1 => [Luma(rgb)],
            _ => throw new ArgumentException($"Images can be read as 3 (RGB) or 1 (greyscale) channels, not {channels}."),
        };
        if (options.Resize is int size)
        {
            // torchvision: the shorter side becomes `size`, the longer int(size * long / short).
            var (newHeight, newWidth) = width <= height ? ((int)((long)size * height / width), size) : (size, (int)((long)size * width / height));
            planes = planes.Select(plane => BilinearResize.Resize(plane, height, width, newHeight, newWidth)).ToArray();
            (height, width) = (newHeight, newWidth);
        }
        if (options.Crop is int crop)
        {
            if (crop > height || crop > width)
                throw new InvalidDataException($"'{path}' is {width}x{height} after resizing, smaller than the {crop}x{crop} crop: resize to at least {crop} first (--resize).");
            // torchvision: int(round((size - crop) / 2.0)), Python's round halves to even.
            int top = (int)Math.Round((height - crop) / 2.0, MidpointRounding.ToEven), left = (int)Math.Round((width - crop) / 2.0, MidpointRounding.ToEven);
            planes = planes.Select(plane =>
            {
                byte[] cropped = new byte[crop * crop];
                for (int y = 0; y < crop; y++) Array.Copy(plane, (top + y) * width + left, cropped, y * crop, crop);
                return cropped;
            }).ToArray();
            (height, width) = (crop, crop);
        }
        byte[] pixels = new byte[planes.Length * height * width];
        for (int c = 0; c < planes.Length; c++) planes[c].CopyTo(pixels, c * height * width);
        return (pixels, height, width);
    }

    /// <summary>R, G and B planes of an image file; alpha dropped without premultiplying, as Pillow's convert('RGB').</summary>
    internal static (byte[][] Rgb, int Height, int Width) Decode(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"'{path}' could not be read: {e.Message}", e);
        }
        if (bytes.Length == 0) throw new InvalidDataException($"'{path}' is empty (0 bytes).");
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"'{path}' is not an image SkiaSharp can decode (PNG, JPEG, BMP, WebP).");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"'{path}' could not be decoded completely ({result}): the file is truncated or damaged.");
        byte[] rgba = bitmap.Bytes;
        int count = info.Width * info.Height;
        var planes = new[] { new byte[count], new byte[count], new byte[count] };
        for (int i = 0; i < count; i++)
        {
            planes[0][i] = rgba[4 * i];
            planes[1][i] = rgba[4 * i + 1];
            planes[2][i] = rgba[4 * i + 2];
        }
        return (planes, info.Height, info.Width);
    }

    /// <summary>Pillow's convert('L'): L = (19595 R + 38470 G + 7471 B + 2^15) >> 16 (ITU-R 601-2).</summary>
    static byte[] Luma(byte[][] rgb)
    {
        byte[] luma = new byte[rgb[0].Length];
        for (int i = 0; i < luma.Length; i++) luma[i] = (byte)((19595 * rgb[0][i] + 38470 * rgb[1][i] + 7471 * rgb[2][i] + 0x8000) >> 16);
        return luma;
    }
}
