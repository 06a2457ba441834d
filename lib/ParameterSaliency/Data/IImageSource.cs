namespace ParameterSaliency.Data;

/// <summary>
/// Images that a long pass reads part by part: an <see cref="ImageDataset"/> in memory, or an image folder decoded
/// chunk by chunk (<see cref="ImageFolderSource"/>), so a statistics pass over ImageNet's 50,000 validation images
/// never holds more than a chunk of them.
/// </summary>
public interface IImageSource
{
    /// <summary>A name such as <c>fashion-mnist:test</c> or <c>folder:/data/val</c>.</summary>
    string Name { get; }

    /// <summary>Number of images.</summary>
    int Count { get; }

    /// <summary>
    /// What identifies the images cheaply, for the keys of resumable passes: a fingerprint of the pixels of an in-memory
    /// data set; the files (paths, sizes, times) and preprocessing of a folder.
    /// </summary>
    string Identity { get; }

    /// <summary>The images at <paramref name="indices"/>, model-ready (an image folder may skip damaged files when asked to).</summary>
    /// <param name="indices">Zero-based positions of the images to read, in the order wanted.</param>
    ImageDataset Read(IReadOnlyList<int> indices);
}
