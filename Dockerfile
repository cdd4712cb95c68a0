# One image for every process of the platform; the command picks the service.
# PYTHON_VERSION is .python-version's (a unit test keeps them equal); the packages are
# requirements.lock's, every file checked against its hash.
ARG PYTHON_VERSION=3.11
FROM python:${PYTHON_VERSION}-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PMI_ENV=production
WORKDIR /app
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY pmi_common ./pmi_common
COPY services ./services
COPY gateway ./gateway
COPY pmi_tools ./pmi_tools
RUN pip install --no-deps --no-build-isolation .
USER nobody
CMD ["python", "-m", "pmi_common.runner", "gateway"]
