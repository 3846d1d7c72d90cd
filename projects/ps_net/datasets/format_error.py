"""The error of a malformed data file: it names the file, the field and what was expected."""


class DataFormatError(ValueError):
    """A data file breaks its format; the message is ``'<source>: <field>: <detail>'``.

    Args:
        source (str): The file the problem was found in.
        field (str): The field or part (``item2.landmarks``, ``groundtruth``, ``image`` ...).
        detail (str): What was expected and what was found.

    Example:
        >>> str(DataFormatError('annos/000001.json', 'pair_id', 'expected an int, got "7"'))
        'annos/000001.json: pair_id: expected an int, got "7"'
    """

    def __init__(self, source: str, field: str, detail: str):
        self.source = source
        self.field = field
        self.detail = detail
        super().__init__(f'{source}: {field}: {detail}')

    def __reduce__(self):  # picklable across worker processes
        return self.__class__, (self.source, self.field, self.detail)
